/**
 * Per-step overhead of task chains: a chain of N no-op steps minus N direct
 * requests to the same agent (same delivery, EXACTLY_ONCE with a caller id,
 * as chain steps use), measured alternately in the same run, for an agent on
 * the same node and on another node.
 *
 *   node --import tsx benchmarks/chains.ts
 *
 * Targets: under 0.5 ms per step same-node, under 1 ms per step above the
 * request itself remote (the seed claims under 5 ms).
 */
import '../src/polyfill.ts'
import { randomBytes } from 'node:crypto'
import { createNode, type AgentHandle, type ZeroStateNode } from '../src/index.ts'
import { printRows, type BenchRow } from './bench-util.ts'

const SUITE = 'chains'

interface Pair { chainMs: number, directMs: number }

async function timeChain (from: ZeroStateNode, agent: AgentHandle, steps: number): Promise<number> {
  const spec = {
    name: 'bench',
    steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, agentId: agent.id, taskType: 'noop', input: { i } }))
  }
  const t0 = performance.now()
  const result = await from.chains.execute(spec)
  const ms = performance.now() - t0
  if (result.status !== 'completed') throw new Error(`bench chain ${result.status}: ${JSON.stringify(result.error)}`)
  return ms
}

async function timeDirect (from: ZeroStateNode, agent: AgentHandle, n: number): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    await from.bus.call(agent.id, { taskType: 'noop', input: { i }, runId: 'direct', stepId: `s${i}` }, { delivery: 'EXACTLY_ONCE', id: randomBytes(16).toString('hex') })
  }
  return performance.now() - t0
}

/** Best (lowest) chain and direct times over `repeats` alternating rounds. */
async function measure (from: ZeroStateNode, agent: AgentHandle, steps: number, repeats: number): Promise<Pair> {
  let chainMs = Infinity
  let directMs = Infinity
  for (let r = 0; r < repeats; r++) {
    chainMs = Math.min(chainMs, await timeChain(from, agent, steps))
    directMs = Math.min(directMs, await timeDirect(from, agent, steps))
  }
  return { chainMs, directMs }
}

async function connected (a: ZeroStateNode, b: ZeroStateNode): Promise<void> {
  await a.dial(b.multiaddrs[0]!)
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      const probe = await b.spawnAgent({ name: `probe-${randomBytes(4).toString('hex')}`, handle: () => 'ok' })
      try {
        await a.bus.request(probe.id, null, { timeout: 500 })
        return
      } finally {
        await probe.stop()
      }
    } catch (err) {
      if (Date.now() > deadline) throw err
    }
  }
}

/**
 * @example
 * ```ts
 * printRows(await benchChains({ steps: 200 }))
 * ```
 */
export async function benchChains (options: { steps?: number, repeats?: number } = {}): Promise<BenchRow[]> {
  const steps = options.steps ?? 200
  const repeats = options.repeats ?? 5
  const a = await createNode()
  const b = await createNode()
  try {
    await connected(a, b)
    const local = await a.spawnAgent({ name: 'noop-local', handle: () => null })
    const remote = await b.spawnAgent({ name: 'noop-remote', handle: () => null })
    await measure(a, local, 50, 1) // warm up the JIT
    await measure(a, remote, 50, 1)
    const rows: BenchRow[] = []
    for (const [where, agent, targetMs] of [['same-node', local, 0.5], ['remote', remote, 1]] as const) {
      const { chainMs, directMs } = await measure(a, agent, steps, repeats)
      const perStep = (chainMs - directMs) / steps
      rows.push(
        { suite: SUITE, metric: `direct request (${where})`, value: directMs / steps, unit: 'ms/request' },
        { suite: SUITE, metric: `chain step (${where})`, value: chainMs / steps, unit: 'ms/step', baseline: directMs / steps, ratio: chainMs / directMs },
        { suite: SUITE, metric: `chain per-step overhead (${where})`, value: perStep, unit: 'ms/step', target: `< ${targetMs} ms`, pass: perStep < targetMs }
      )
    }
    return rows
  } finally {
    await Promise.allSettled([a.stop({ timeout: 1000 }), b.stop({ timeout: 1000 })])
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  printRows(await benchChains())
}
