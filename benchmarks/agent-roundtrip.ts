/**
 * Micro benchmark: sequential deliver -> reply round trips through the agent
 * runtime (sync and async handlers), against a plain XState ping-pong of two
 * actors measured in the same run. Prints a table and the ratios;
 * `benchAgentRoundTrip` is the suite for `npm run bench`.
 *
 *   npx tsx benchmarks/agent-roundtrip.ts [N]
 *
 * Writes the same numbers to benchmarks/results/agent-roundtrip.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { createStandaloneHost } from '../src/actor-host.ts'
import type { TaskHandler } from '../src/agent-types.ts'
import { createAgentMetrics } from '../src/agents/agent-metrics.ts'
import { createAgentRuntime } from '../src/agents/agent-runtime.ts'
import type { MessageBus } from '../src/bus-types.ts'
import type { AgentTask } from '../machines/agent-types.ts'
import { printRows, xstatePingPongMs, type BenchRow } from './bench-util.ts'

const WARMUP = 2_000

const bus: MessageBus = {
  address: 'did:key:zBench#echo',
  send: async () => {},
  request: async () => undefined as never,
  call: async () => undefined as never,
  broadcast: async () => {},
  on: () => () => {}
}

/** Sequential deliver -> reply through a real agent runtime. */
async function agentRoundTrip (n: number, handle: TaskHandler): Promise<number> {
  let resolve: () => void = () => {}
  const agent = createAgentRuntime({ name: 'echo', handle }, {
    agentId: 'did:key:zBench#echo',
    host: createStandaloneHost(),
    logger: pino({ level: 'silent' }),
    bus,
    metrics: createAgentMetrics(new Registry()),
    reply: () => { resolve() }
  })
  let seq = 0
  const once = async (): Promise<void> => {
    const task: AgentTask = { taskId: `t${seq++}`, payload: seq, priority: 0, deadline: Date.now() + 30_000, budget: null, from: 'did:key:zBench#caller', replyTo: 'did:key:zBench#caller' }
    await new Promise<void>(r => { resolve = r; agent.deliver(task) })
  }
  for (let i = 0; i < WARMUP; i++) await once()
  const start = performance.now()
  for (let i = 0; i < n; i++) await once()
  const ms = performance.now() - start
  await agent.stop()
  return ms
}

/**
 * Best-of-3 sequential round trips of the agent runtime (sync and async
 * handlers) and of a plain XState ping-pong, interleaved in one run.
 */
export async function benchAgentRoundTrip (n = 20_000): Promise<BenchRow[]> {
  const runs: Array<{ name: string, ms: number }> = []
  // interleave and repeat so JIT warm-up and GC do not favour one side
  for (let round = 0; round < 3; round++) {
    runs.push({ name: PING_PONG, ms: await xstatePingPongMs(n, WARMUP) })
    runs.push({ name: 'agent deliver -> reply, sync handler', ms: await agentRoundTrip(n, (task: unknown) => task) })
    runs.push({ name: 'agent deliver -> reply, async handler', ms: await agentRoundTrip(n, async (task: unknown) => task) })
  }
  const best = new Map<string, number>()
  for (const run of runs) best.set(run.name, Math.min(best.get(run.name) ?? Infinity, run.ms))
  const baseline = n / ((best.get(PING_PONG) ?? NaN) / 1000)
  return [...best].map(([name, ms]) => {
    const perSec = n / (ms / 1000)
    if (name === PING_PONG) return { suite: 'agents', metric: `${name}, round trips`, value: perSec, unit: '/s' }
    const ratio = baseline / perSec
    return { suite: 'agents', metric: `${name}, round trips`, value: perSec, unit: '/s', baseline, ratio, target: '>= 50000/s and <= 4x ping-pong', pass: perSec >= 50_000 && ratio <= 4 }
  })
}

const PING_PONG = 'xstate ping-pong (2 actors)'

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const n = Number(process.argv[2] ?? 20_000)
  const rows = await benchAgentRoundTrip(n)
  console.log(`sequential round trips, N=${n}, best of 3 (node ${process.version}); ratio = time per round trip / ping-pong's`)
  printRows(rows)
  const results = new URL('./results/', import.meta.url)
  mkdirSync(results, { recursive: true })
  writeFileSync(new URL('agent-roundtrip.json', results), JSON.stringify({ benchmark: 'agent-roundtrip', n, node: process.version, date: new Date().toISOString(), rows }, null, 2) + '\n')
}
