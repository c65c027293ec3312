/**
 * Messaging benchmark: raw gossipsub (the baseline: same libp2p stack and
 * gossipsub settings) against ZeroState on two nodes over loopback, plus the
 * same-node path against a plain XState ping-pong, and the envelope overhead.
 *
 *   npx tsx benchmarks/messaging.ts
 */
import '../src/polyfill.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNode, encodeEnvelope, inboxTopic, type AgentMessage, type ZeroStateNode } from '../src/index.ts'
import { createLibp2pHost, type Libp2pHost, type SignaturePolicy } from '../src/net/libp2p-host.ts'
import { MAX_FRAME_BYTES } from '../src/envelope/frame.ts'
import { latencies, percentile, printRows, rate, xstatePingPongMs, type BenchRow } from './bench-util.ts'
import { startDesignFloor } from './design-floor.ts'
import { twoProcessRoundTrips } from './two-process.ts'
import { echoRawRequests, rawMessage, rawRoundTrip } from './raw-echo.ts'

const SUITE = 'messaging'

async function waitUntil (check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('benchmark setup timed out')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

async function rawPair (policy: SignaturePolicy): Promise<[Libp2pHost, Libp2pHost]> {
  const make = async (): Promise<Libp2pHost> => await createLibp2pHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], signaturePolicy: policy, maxMessageBytes: MAX_FRAME_BYTES + 1024 })
  const a = await make()
  const b = await make()
  a.services.pubsub.subscribe('a')
  b.services.pubsub.subscribe('b')
  await a.dial(b.getMultiaddrs()[0]!)
  const sees = (x: Libp2pHost, topic: string, y: Libp2pHost): boolean => x.services.pubsub.getSubscribers(topic).some(p => p.equals(y.peerId))
  await waitUntil(() => sees(a, 'b', b) && sees(b, 'a', a), 10_000)
  return [a, b]
}

interface PolicyResult {
  rawP50: number
  rawP99: number
  p50: number
  p99: number
  serviceP50: number
  /** The design floor's round trips (see design-floor.ts): msgpack envelopes only, and with an XState idle/busy agent. */
  envelopeFloorP50: number
  agentFloorP50: number
  rawPerSecond: number
  perSecond: number
}

/**
 * Raw gossipsub against ZeroState with one signature policy. Round trips are
 * measured in interleaved blocks (raw, ZeroState, raw, ...) so load changes
 * on the machine hit both sides alike; then one-way throughput of each.
 */
async function comparePolicy (policy: SignaturePolicy, n: number, rawBurst: number, burst: number): Promise<PolicyResult> {
  const [ra, rb] = await rawPair(policy)
  const [a, b] = await meshPair(policy)
  try {
    echoRawRequests(rb)
    const rawOnce = rawRoundTrip(ra)
    const echo = await b.spawnAgent({ name: 'echo', handle: (task: unknown) => task })
    const task = { data: 'x'.repeat(80) }
    const zsOnce = async (): Promise<unknown> => await a.bus.request(echo.id, task)
    // The same request answered by a node-level service instead of an agent actor: shows the agent's share.
    b.internals.core.registerService('bench-echo', msg => msg.payload)
    const serviceOnce = async (): Promise<unknown> => await a.bus.request(`${b.did}#_bench-echo`, task)
    // The least any implementation of the design adds to the raw round trip, on the raw pair itself.
    const envelopeFloor = await startDesignFloor(ra, rb, 'envelope', task)
    const agentFloor = await startDesignFloor(ra, rb, 'agent', task)
    for (let i = 0; i < 200; i++) { await rawOnce(); await zsOnce(); await serviceOnce(); await envelopeFloor.once(); await agentFloor.once() }

    const raw: number[] = []
    const zs: number[] = []
    const service: number[] = []
    const floors: [number[], number[]] = [[], []]
    const block = 100
    for (let done = 0; done < n; done += block) {
      raw.push(...await latencies(block, rawOnce))
      zs.push(...await latencies(block, zsOnce))
      service.push(...await latencies(block, serviceOnce))
      floors[0].push(...await latencies(block, envelopeFloor.once))
      floors[1].push(...await latencies(block, agentFloor.once))
    }
    envelopeFloor.stop()
    agentFloor.stop()
    for (const samples of [raw, zs, service, ...floors]) samples.sort((x, y) => x - y)

    // One-way throughput, raw.
    let rawReceived = 0
    let rawAll: () => void = () => {}
    rb.services.pubsub.addEventListener('message', evt => { if (evt.detail.topic === 'b' && evt.detail.data[0] === 3 && ++rawReceived === rawBurst) rawAll() })
    const rawFinished = new Promise<void>(resolve => { rawAll = resolve })
    let t0 = performance.now()
    for (let i = 0; i < rawBurst; i++) void ra.services.pubsub.publish('b', rawMessage(3, i)).catch(() => {})
    await Promise.race([rawFinished, new Promise(resolve => setTimeout(resolve, 60_000))])
    const rawPerSecond = rawReceived / ((performance.now() - t0) / 1000)

    // One-way throughput, ZeroState: envelopes counted by a bus listener at the receiving agent.
    let received = 0
    let all: () => void = () => {}
    const sink = await b.spawnAgent({ name: 'sink', handle: () => null })
    sink.bus.on('NEGOTIATION', () => { if (++received === burst) all() })
    await a.bus.request(sink.id, null)
    const finished = new Promise<void>(resolve => { all = resolve })
    t0 = performance.now()
    for (let i = 0; i < burst; i++) void a.bus.send({ to: sink.id, type: 'NEGOTIATION', payload: { i } })
    await Promise.race([finished, new Promise(resolve => setTimeout(resolve, 60_000))])
    const perSecond = received / ((performance.now() - t0) / 1000)

    return { rawP50: percentile(raw, 0.5), rawP99: percentile(raw, 0.99), p50: percentile(zs, 0.5), p99: percentile(zs, 0.99), serviceP50: percentile(service, 0.5), envelopeFloorP50: percentile(floors[0], 0.5), agentFloorP50: percentile(floors[1], 0.5), rawPerSecond, perSecond }
  } finally {
    await Promise.all([ra.stop(), rb.stop(), a.stop(), b.stop()])
  }
}

async function meshPair (policy: SignaturePolicy): Promise<[ZeroStateNode, ZeroStateNode]> {
  const a = await createNode({ signaturePolicy: policy })
  const b = await createNode({ signaturePolicy: policy })
  await a.dial(b.multiaddrs[0]!)
  const sees = (x: ZeroStateNode, y: ZeroStateNode): boolean => x.internals.libp2p.services.pubsub.getSubscribers(inboxTopic(y.peerId)).some(p => p.toString() === y.peerId)
  await waitUntil(() => sees(a, b) && sees(b, a), 10_000)
  return [a, b]
}

/**
 * Same-node request/response rate against the plain XState ping-pong, in
 * interleaved rounds (ping-pong, ZeroState, ping-pong, ...) so both see the
 * machine at the same speed; each side's median round.
 */
async function sameNodeVsPingPong (rounds: number, n: number): Promise<{ sameNode: number, pingPong: number }> {
  const node = await createNode()
  try {
    const echo = await node.spawnAgent({ name: 'echo', handle: (task: unknown) => task })
    // Long enough a warm-up for V8 to optimise the whole path (XState included), as for the baseline.
    await rate(10_000, async i => await node.bus.request(echo.id, i))
    const pingPong: number[] = []
    const sameNode: number[] = []
    for (let round = 0; round < rounds; round++) {
      pingPong.push(n / ((await xstatePingPongMs(n, 2_000)) / 1000))
      sameNode.push(await rate(n, async i => await node.bus.request(echo.id, i)))
    }
    return { sameNode: median(sameNode), pingPong: median(pingPong) }
  } finally {
    await node.stop()
  }
}

function median (values: number[]): number {
  return percentile([...values].sort((x, y) => x - y), 0.5)
}

/** Bytes on the wire for one cross-node REQUEST minus the encoded payload. */
function envelopeOverhead (): number {
  const fromNode = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
  const toNode = 'did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th'
  const msg: AgentMessage = {
    id: '0123456789abcdef0123456789abcdef', correlationId: '0123456789abcdef0123456789abcdef', type: 'REQUEST', delivery: 'EXACTLY_ONCE',
    timestamp: Date.now(), ttl: 30_000, priority: 5, from: `${fromNode}#planner`, to: `${toNode}#resize`, replyTo: `${fromNode}#planner`,
    payload: { image: 'x'.repeat(100) }, budget: 2.5
  }
  const withPayload = encodeEnvelope(msg, { impliedToNode: toNode }).length
  const payloadBytes = encodeEnvelope({ ...msg, payload: { image: 'x'.repeat(100) } }).length - encodeEnvelope({ ...msg, payload: undefined }).length - 2
  return withPayload - payloadBytes
}

export async function benchMessaging (options: { n?: number, burst?: number } = {}): Promise<BenchRow[]> {
  const n = options.n ?? 2000
  const burst = options.burst ?? 20_000
  const rows: BenchRow[] = []
  // CPU-bound comparisons first, before the networked runs warm the heap up.
  const { sameNode, pingPong } = await sameNodeVsPingPong(5, 10_000)
  rows.push(
    { suite: SUITE, metric: 'plain xstate ping-pong (median of 5 interleaved rounds)', value: pingPong, unit: 'round trips/s' },
    { suite: SUITE, metric: 'same-node request/response (median of 5 interleaved rounds)', value: sameNode, unit: 'req/s', baseline: pingPong, ratio: pingPong / sameNode, target: '>= 50,000/s and <= 4x ping-pong time', pass: sameNode >= 50_000 && pingPong / sameNode <= 4 }
  )
  for (const policy of ['strict-no-sign', 'strict-sign'] as const) {
    const r = await comparePolicy(policy, n, policy === 'strict-sign' ? 3000 : 5000, burst)
    rows.push(
      { suite: SUITE, metric: `raw gossipsub round trip p50 (${policy})`, value: r.rawP50, unit: 'ms' },
      { suite: SUITE, metric: `raw gossipsub round trip p99 (${policy})`, value: r.rawP99, unit: 'ms' },
      { suite: SUITE, metric: `remote request/response p50 (${policy})`, value: r.p50, unit: 'ms', baseline: r.rawP50, ratio: r.p50 / r.rawP50, target: '<= 1.15x raw', pass: r.p50 / r.rawP50 <= 1.15 },
      { suite: SUITE, metric: `remote request/response p99 (${policy})`, value: r.p99, unit: 'ms', baseline: r.rawP99, ratio: r.p99 / r.rawP99 },
      { suite: SUITE, metric: `remote request to a node service, no agent actor, p50 (${policy})`, value: r.serviceP50, unit: 'ms', baseline: r.rawP50, ratio: r.serviceP50 / r.rawP50 },
      { suite: SUITE, metric: `design floor p50: raw + msgpack envelopes (${policy})`, value: r.envelopeFloorP50, unit: 'ms', baseline: r.rawP50, ratio: r.envelopeFloorP50 / r.rawP50 },
      { suite: SUITE, metric: `design floor p50: raw + msgpack envelopes + XState idle/busy agent (${policy})`, value: r.agentFloorP50, unit: 'ms', baseline: r.rawP50, ratio: r.agentFloorP50 / r.rawP50 },
      { suite: SUITE, metric: `raw gossipsub one-way (${policy})`, value: r.rawPerSecond, unit: 'msg/s' },
      { suite: SUITE, metric: `remote one-way envelopes (${policy})`, value: r.perSecond, unit: 'env/s', baseline: r.rawPerSecond, ratio: r.perSecond / r.rawPerSecond, target: '>= 20,000/s', pass: r.perSecond >= 20_000 }
    )
  }
  const apart = await twoProcessRoundTrips(n)
  rows.push(
    { suite: SUITE, metric: 'raw gossipsub round trip p50, responder in another process (strict-no-sign)', value: apart.rawP50, unit: 'ms' },
    { suite: SUITE, metric: 'remote request/response p50, responder in another process (strict-no-sign)', value: apart.p50, unit: 'ms', baseline: apart.rawP50, ratio: apart.p50 / apart.rawP50 },
    { suite: SUITE, metric: 'remote request/response p99, responder in another process (strict-no-sign)', value: apart.p99, unit: 'ms', baseline: apart.rawP99, ratio: apart.p99 / apart.rawP99 }
  )
  const overhead = envelopeOverhead()
  rows.push({ suite: SUITE, metric: 'REQUEST envelope overhead', value: overhead, unit: 'bytes', target: '<= 128', pass: overhead <= 128 })
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRows(await benchMessaging())
}
