/**
 * A Prometheus counter for hot paths: counting is an addition on a plain
 * number kept per label set; the values are copied into a prom-client
 * Counter when the registry is scraped. prom-client's own `inc` hashes and
 * validates its labels on every call.
 *
 * @example
 * ```ts
 * const grants = new TallyCounter({ name: 'x_grants_total', help: 'Grants', labelNames: ['type'], registers: [registry] })
 * grants.inc({ type: 'exclusive' })
 * ```
 */
import { Counter, type Registry } from 'prom-client'

export interface TallyCounterInit<L extends string> {
  name: string
  help: string
  labelNames?: readonly L[]
  registers: readonly Registry[]
}

interface Series {
  labels: Record<string, string>
  value: number
}

export class TallyCounter<L extends string = string> {
  private readonly labelNames: readonly L[]
  private readonly all = new Map<string, Series>()

  constructor (init: TallyCounterInit<L>) {
    this.labelNames = init.labelNames ?? []
    const all = this.all
    // prom-client calls collect() with the metric as `this` before each scrape.
    new Counter({
      name: init.name,
      help: init.help,
      labelNames: [...this.labelNames],
      registers: [...init.registers],
      collect (this: Counter) {
        this.reset()
        for (const series of all.values()) this.inc(series.labels, series.value)
      }
    })
  }

  /** Add `value` (default 1) to the series of `labels`. */
  inc (labels: Partial<Record<L, string>> = {}, value = 1): void {
    this.seriesOf(labels).value += value
  }

  /** An incrementer for one label set (look it up once, call it on the hot path). */
  series (labels: Partial<Record<L, string>> = {}): () => void {
    const series = this.seriesOf(labels)
    return () => { series.value++ }
  }

  private seriesOf (labels: Partial<Record<L, string>>): Series {
    const names = this.labelNames
    const key = names.length === 0 ? '' : names.length === 1 ? (labels[names[0]!] ?? '') : names.map(n => labels[n] ?? '').join('\u0000')
    let series = this.all.get(key)
    if (series === undefined) {
      const own: Record<string, string> = {}
      for (const n of names) if (labels[n] !== undefined) own[n] = labels[n]
      series = { labels: own, value: 0 }
      this.all.set(key, series)
    }
    return series
  }
}
