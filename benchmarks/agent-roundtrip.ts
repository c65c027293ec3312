/**
 * Micro benchmark: sequential deliver -> reply round trips through the agent
 * runtime (sync and async handlers), against a plain XState ping-pong of two
 * actors measured in the same run. Prints a table and the ratios.
 *
 *   npx tsx benchmarks/agent-roundtrip.ts [N]
 */
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { createActor, sendTo, setup, type AnyActorRef } from 'xstate'
import { createStandaloneHost } from '../src/actor-host.ts'
import type { TaskHandler } from '../src/agent-types.ts'
import { createAgentMetrics } from '../src/agents/agent-metrics.ts'
import { createAgentRuntime } from '../src/agents/agent-runtime.ts'
import type { MessageBus } from '../src/bus-types.ts'
import type { AgentTask } from '../machines/agent-types.ts'

const N = Number(process.argv[2] ?? 20_000)
const WARMUP = 2_000

/** Two plain actors: the pinger sends `ping`, the ponger answers `pong`, the pinger resolves. */
async function xstatePingPong (n: number): Promise<number> {
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
  for (let i = 0; i < WARMUP; i++) await once()
  const start = performance.now()
  for (let i = 0; i < n; i++) await once()
  return performance.now() - start
}

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

const rows: Array<{ case: string, ms: number }> = []
// interleave and repeat so JIT warm-up and GC do not favour one side
for (let round = 0; round < 3; round++) {
  rows.push({ case: 'xstate ping-pong (2 actors)', ms: await xstatePingPong(N) })
  rows.push({ case: 'agent runtime, sync handler', ms: await agentRoundTrip(N, (task: unknown) => task) })
  rows.push({ case: 'agent runtime, async handler', ms: await agentRoundTrip(N, async (task: unknown) => task) })
}

const best = new Map<string, number>()
for (const row of rows) best.set(row.case, Math.min(best.get(row.case) ?? Infinity, row.ms))
const baseline = best.get('xstate ping-pong (2 actors)') ?? NaN
console.log(`sequential round trips, N=${N}, best of 3 (node ${process.version})`)
console.table([...best].map(([name, ms]) => ({
  case: name,
  'round trips/s': Math.round(N / (ms / 1000)),
  'µs/round trip': Number((ms * 1000 / N).toFixed(2)),
  'vs ping-pong': Number((ms / baseline).toFixed(2))
})))
