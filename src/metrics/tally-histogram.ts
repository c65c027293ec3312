/**
 * A Prometheus histogram for hot paths: observing is a bucket search and
 * three additions on plain numbers; the registry reads the series when it is
 * scraped. prom-client's own Histogram hashes its labels and validates them
 * on every observation, which costs about a microsecond per request.
 *
 * @example
 * ```ts
 * const duration = new TallyHistogram({ name: 'x_seconds', help: 'x', labelNames: ['outcome'], buckets: [0.001, 0.01], registers: [registry] })
 * const ok = duration.series({ outcome: 'ok' })
 * ok(0.0004)
 * ```
 */
import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client'

export interface TallyHistogramInit {
  name: string
  help: string
  labelNames?: readonly string[]
  /** Upper bounds, ascending. */
  buckets: readonly number[]
  registers: readonly Registry[]
}

interface Series {
  labels: Record<string, string>
  counts: Float64Array
  sum: number
  count: number
}

export class TallyHistogram {
  readonly name: string
  readonly help: string
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  private readonly bounds: readonly number[]
  private readonly labelNames: readonly string[]
  private readonly all = new Map<string, Series>()
  private readonly observers = new Map<string, (value: number) => void>()

  constructor (init: TallyHistogramInit) {
    this.name = init.name
    this.help = init.help
    this.bounds = [...init.buckets].sort((a, b) => a - b)
    this.labelNames = init.labelNames ?? []
    for (const registry of init.registers) registry.registerMetric(this as unknown as Metric)
  }

  /** An observer for one label set (look it up once, call it on the hot path). */
  series (labels: Record<string, string> = {}): (value: number) => void {
    const key = this.labelNames.map(n => labels[n] ?? '').join('\u0000')
    let series = this.all.get(key)
    if (series === undefined) {
      const own: Record<string, string> = {}
      for (const n of this.labelNames) if (labels[n] !== undefined) own[n] = labels[n]
      series = { labels: own, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 }
      this.all.set(key, series)
    }
    const s = series
    const bounds = this.bounds
    return value => {
      let i = 0
      while (i < bounds.length && value > bounds[i]!) i++
      if (i < bounds.length) s.counts[i]!++
      s.sum += value
      s.count++
    }
  }

  /** Observe `value` in the series of `labels` (its observer is looked up by label values). */
  observe (labels: Record<string, string>, value: number): void {
    const key = this.labelNames.map(n => labels[n] ?? '').join('\u0000')
    let observer = this.observers.get(key)
    if (observer === undefined) {
      observer = this.series(labels)
      this.observers.set(key, observer)
    }
    observer(value)
  }

  /** The Prometheus view: cumulative buckets, `+Inf`, `_sum`, `_count` per series. */
  async get (): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: Array<MetricValueWithName<string>> = []
    for (const s of this.all.values()) {
      let cumulative = 0
      this.bounds.forEach((bound, i) => {
        cumulative += s.counts[i]!
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: bound }, value: cumulative })
      })
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count })
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum })
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.count })
    }
    return { name: this.name, help: this.help, type: 'histogram' as never, aggregator: 'sum', values, collect: () => undefined }
  }

  reset (): void {
    for (const s of this.all.values()) {
      s.counts.fill(0)
      s.sum = 0
      s.count = 0
    }
  }
}
