/**
 * Shared helpers of the benchmark suites: percentiles, timing loops, rows,
 * and the plain-XState ping-pong baseline.
 */
import { createActor, sendTo, setup, type AnyActorRef } from 'xstate'

/** One line of the benchmark table. */
export interface BenchRow {
  suite: string
  metric: string
  value: number
  unit: string
  /** The baseline measured in the same run, when the metric is compared to one. */
  baseline?: number
  /** value / baseline (or the comparison the target states). */
  ratio?: number
  /** The target, in words. */
  target?: string
  pass?: boolean
}

export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  return sorted[i]!
}

/** Run `once` n times sequentially and return the sorted latencies in ms. */
export async function latencies (n: number, once: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await once(i)
    out.push(performance.now() - t0)
  }
  return out.sort((a, b) => a - b)
}

/** Operations per second of n sequential calls. */
export async function rate (n: number, once: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await once(i)
  return n / ((performance.now() - t0) / 1000)
}

export function round (x: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Print rows as a table. */
export function printRows (rows: readonly BenchRow[]): void {
  console.table(rows.map(r => ({
    suite: r.suite,
    metric: r.metric,
    value: round(r.value),
    unit: r.unit,
    baseline: r.baseline === undefined ? '' : round(r.baseline),
    ratio: r.ratio === undefined ? '' : round(r.ratio),
    target: r.target ?? '',
    pass: r.pass === undefined ? '' : r.pass ? 'yes' : 'NO'
  })))
}

/**
 * The plain XState baseline: two actors, the pinger sends `ping`, the ponger
 * answers `pong`; one awaited round trip per call. Returns the elapsed ms of
 * `n` round trips after `warmup` untimed ones.
 */
export async function xstatePingPongMs (n: number, warmup = 2000): Promise<number> {
  const ponger = createActor(setup({ types: {} as { events: { type: 'ping', from: AnyActorRef } } }).createMachine({
    on: { ping: { actions: sendTo(({ event }) => event.from, { type: 'pong' }) } }
  })).start()
  let resolve: () => void = () => {}
  const pinger = createActor(setup({
    types: {} as { events: { type: 'go' } | { type: 'pong' } },
    actions: { resolve: () => { resolve() } }
  }).createMachine({
    on: {
      go: { actions: sendTo(() => ponger, ({ self }) => ({ type: 'ping' as const, from: self })) },
      pong: { actions: 'resolve' }
    }
  })).start()
  const once = async (): Promise<void> => { await new Promise<void>(r => { resolve = r; pinger.send({ type: 'go' }) }) }
  for (let i = 0; i < warmup; i++) await once()
  const start = performance.now()
  for (let i = 0; i < n; i++) await once()
  const elapsed = performance.now() - start
  pinger.stop()
  ponger.stop()
  return elapsed
}
