/**
 * Coordination benchmark on two real nodes (127.0.0.1): node A is the
 * coordinator, node B reaches it over the bus. Each row is measured beside a
 * plain request/response round trip of the same path in the same run:
 *
 * - uncontended exclusive acquire + release, local (on A) and remote (from B): p50 / p99
 * - contended throughput: 10 holders (5 on A, 5 on B) acquiring and releasing one lock
 * - state compare-and-set latency, local and remote
 * - a 10-party barrier (5 on A, 5 on B): time from the last arrival to the last release
 *
 *   npx tsx benchmarks/coordination.ts [iterations] [--json out.json]
 *
 * Targets: uncontended acquire within 1.2x of a request round trip; a 10-party
 * barrier released within 5 ms of the last arrival.
 */
import '../src/polyfill.ts'
import { writeFile } from 'node:fs/promises'
import { pino } from 'pino'
import { createBaseNode, type BaseNode } from '../src/node/create-node.ts'
import { attachCoordination, type NodeCoordination } from '../src/coordination/attach-coordination.ts'
import type { Coordination } from '../src/coordination/types.ts'

export interface CoordinationBenchRow {
  name: string
  path: 'local' | 'remote' | 'mixed'
  samples: number
  p50Ms: number
  p99Ms: number
  /** Operations per second (throughput rows), else null. */
  opsPerSec: number | null
  /** The plain request/response round trip of the same path (an echo agent), p50 and p99. */
  baselineP50Ms: number
  baselineP99Ms: number
  /** p50Ms / baselineP50Ms. */
  ratio: number
}

const logger = pino({ level: 'silent' })

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN
}

const round = (v: number): number => Math.round(v * 1000) / 1000

function row (name: string, path: CoordinationBenchRow['path'], times: number[], baseline: number[], opsPerSec: number | null = null): CoordinationBenchRow {
  const p50 = percentile(times, 0.5)
  const base = percentile(baseline, 0.5)
  return { name, path, samples: times.length, p50Ms: round(p50), p99Ms: round(percentile(times, 0.99)), opsPerSec, baselineP50Ms: round(base), baselineP99Ms: round(percentile(baseline, 0.99)), ratio: round(p50 / base) }
}

export async function benchCoordination (iterations = 1000): Promise<CoordinationBenchRow[]> {
  const a = await createBaseNode({ logger })
  const b = await createBaseNode({ logger, bootstrap: a.multiaddrs.map(m => m.toString()) })
  const nodes: Array<{ base: BaseNode, coordination: NodeCoordination }> = [
    { base: a, coordination: attachCoordination(a) },
    { base: b, coordination: attachCoordination(b, { coordinator: a.did }) }
  ]
  try {
    const echo = await a.spawnAgent({ name: 'echo', handle: task => task })
    await b.bus.request(echo.id, 'warm', { timeout: 10_000 })
    const [ca, cb] = nodes.map(n => n.coordination.coordination) as [Coordination, Coordination]
    await cb.getState('warm')

    const localOnce = async (): Promise<void> => { await a.bus.request(echo.id, 1) }
    const remoteOnce = async (): Promise<void> => { await b.bus.request(echo.id, 1) }
    const rows: CoordinationBenchRow[] = []
    let remoteRtt: number[] = []

    // Each operation is timed alternately with the plain request round trip it is compared with
    // (one of each, in turn), so load changes on the machine hit both sides of the ratio alike.
    const interleaved = async (baselineOnce: () => Promise<void>, op: () => Promise<void>): Promise<[number[], number[]]> => {
      for (let i = 0; i < Math.min(200, iterations); i++) { await baselineOnce(); await op() }
      const base: number[] = []
      const times: number[] = []
      for (let i = 0; i < iterations; i++) {
        let start = performance.now()
        await baselineOnce()
        base.push(performance.now() - start)
        start = performance.now()
        await op()
        times.push(performance.now() - start)
      }
      return [base.sort((x, y) => x - y), times.sort((x, y) => x - y)]
    }

    for (const [path, client, baselineOnce] of [['local', ca, localOnce], ['remote', cb, remoteOnce]] as const) {
      const acquireOnly: number[] = []
      const [baseline, acquireRelease] = await interleaved(baselineOnce, async () => {
        const t = performance.now()
        const lock = await client.acquireLock(`solo-${path}`, { ttl: 10_000 })
        acquireOnly.push(performance.now() - t)
        await client.releaseLock(lock.token)
      })
      // The measured rounds' acquires (the warm-up ones came first).
      const acquireTimes = acquireOnly.slice(-iterations)
      if (path === 'remote') remoteRtt = baseline
      rows.push(row('acquire + release (uncontended)', path, acquireRelease, baseline))
      rows.push(row('acquire (uncontended)', path, acquireTimes.sort((x, y) => x - y), baseline))
      let version = (await client.getState(`cas-${path}`))?.version ?? 0
      const [casBaseline, cas] = await interleaved(baselineOnce, async () => {
        version = (await client.setState(`cas-${path}`, { v: version }, version)).version
      })
      rows.push(row('state compare-and-set', path, cas, casBaseline))
    }

    const holders = Array.from({ length: 10 }, (_, i) => nodes[i % 2].coordination.forHolder(`${nodes[i % 2].base.did}#h${i}`))
    const perHolder = Math.max(10, Math.floor(iterations / 10))
    const waits: number[] = []
    const start = performance.now()
    await Promise.all(holders.map(async h => {
      for (let i = 0; i < perHolder; i++) {
        const t = performance.now()
        const lock = await h.acquireLock('contended', { ttl: 10_000 })
        waits.push(performance.now() - t)
        await h.releaseLock(lock.token)
      }
    }))
    const elapsed = (performance.now() - start) / 1000
    rows.push(row('contended acquire (10 holders)', 'mixed', waits.sort((x, y) => x - y), remoteRtt, Math.round(holders.length * perHolder / elapsed)))

    const parties = Array.from({ length: 10 }, (_, i) => nodes[i % 2].coordination.forHolder(`${nodes[i % 2].base.did}#p${i}`))
    const releaseTimes: number[] = []
    for (let round = 0; round < Math.max(20, Math.floor(iterations / 20)); round++) {
      const done: number[] = []
      const early = parties.slice(0, 9).map(async p => { await p.waitAtBarrier('bench', 10, { timeout: 10_000 }); done.push(performance.now()) })
      await new Promise(resolve => setTimeout(resolve, 5))
      const lastArrival = performance.now()
      await parties[9].waitAtBarrier('bench', 10, { timeout: 10_000 })
      done.push(performance.now())
      await Promise.all(early)
      releaseTimes.push(Math.max(...done) - lastArrival)
    }
    rows.push(row('10-party barrier: last arrival -> all released', 'mixed', releaseTimes.sort((x, y) => x - y), remoteRtt))
    return rows
  } finally {
    for (const n of nodes.reverse()) await n.base.stop({ timeout: 100 })
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const iterations = Number(process.argv[2] ?? 500)
  const rows = await benchCoordination(Number.isFinite(iterations) ? iterations : 500)
  console.table(rows)
  const json = process.argv.indexOf('--json')
  if (json !== -1 && process.argv[json + 1] !== undefined) await writeFile(process.argv[json + 1] as string, JSON.stringify({ benchmark: 'coordination', at: new Date().toISOString(), rows }, null, 2))
}
