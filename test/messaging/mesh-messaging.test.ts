import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { didFromPublicKey, encodeEnvelope, inboxTopic, isZeroStateError, ZeroStateError, type AgentMessage, type ZeroStateNode } from '../../src/index.ts'
import { metricValue, startMesh, stopAll } from '../helpers/mesh.ts'

/** Requests whose first transmission the fault injector swallows, by envelope id. */
const dropFirst = new Set<string>()
/** Requests the fault injector sends twice. */
const duplicate = new Set<string>()

describe('messaging across 3 real nodes', () => {
  let nodes: ZeroStateNode[]
  let a: ZeroStateNode, b: ZeroStateNode, c: ZeroStateNode

  beforeAll(async () => {
    nodes = await startMesh(3, {
      retransmit: { initialMs: 50, maxMs: 200 },
      faults: {
        outbound: msg => {
          if (msg.type !== 'REQUEST') return 'deliver'
          if (dropFirst.has(msg.id) && (msg.attempt ?? 0) === 0) return 'drop'
          if (duplicate.has(msg.id)) return 'duplicate'
          return 'deliver'
        }
      }
    })
    ;[a, b, c] = nodes as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
  })

  afterAll(async () => { await stopAll(nodes) })

  it('answers a request from an agent on another node', async () => {
    const echo = await b.spawnAgent({ name: 'echo', handle: (task: unknown) => ({ echoed: task }) })
    await expect(a.bus.request(echo.id, { hello: 'mesh' })).resolves.toEqual({ echoed: { hello: 'mesh' } })
    const reply = await c.bus.call(echo.id, [1, 2, 3])
    expect(reply).toMatchObject({ payload: { echoed: [1, 2, 3] }, agentId: echo.id })
    await echo.stop()
  })

  it('answers a request from an agent on the same node through the local fast path', async () => {
    const local = await a.spawnAgent({ name: 'local', handle: (task: { n: number }, ctx) => { ctx.reportCost(0.5); return task.n * 2 } })
    const caller = await a.spawnAgent({ name: 'caller', handle: async (task: { n: number }, ctx) => await ctx.bus.request(local.id, task) })
    const sentBefore = await metricValue(a, 'zerostate_agent_messages_sent_total', { type: 'REQUEST' })
    await expect(a.bus.call(caller.id, { n: 21 })).resolves.toMatchObject({ payload: 42 })
    await expect(a.bus.call(local.id, { n: 1 })).resolves.toEqual({ payload: 2, cost: 0.5, agentId: local.id })
    expect(await metricValue(a, 'zerostate_agent_messages_sent_total', { type: 'REQUEST' })).toBe(sentBefore + 3)
    await Promise.all([local.stop(), caller.stop()])
  })

  it('delivers a broadcast to agents on every node', async () => {
    const seen: string[] = []
    const listeners = await Promise.all(nodes.map(async (n, i) => {
      const agent = await n.spawnAgent({ name: `listener-${i}`, handle: () => null })
      agent.bus.on('BROADCAST', msg => { seen.push(`${i}:${JSON.stringify(msg.payload)}`) })
      return agent
    }))
    await a.bus.broadcast({ news: 'hello' })
    await vi.waitFor(() => { expect([...seen].sort()).toEqual(['0:{"news":"hello"}', '1:{"news":"hello"}', '2:{"news":"hello"}']) })
    await Promise.all(listeners.map(async l => { await l.stop() }))
  })

  it('fails at once with AGENT_NOT_FOUND for an unknown agent on a live node', async () => {
    const started = Date.now()
    const err = await a.bus.request(`${b.did}#nobody`, 1, { timeout: 10_000 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'AGENT_NOT_FOUND')).toBe(true)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('times out, and aborts the remote handler at the deadline', async () => {
    let aborted = false
    const slow = await b.spawnAgent({
      name: 'slow',
      handle: async (_task: unknown, ctx) => await new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => { aborted = true; reject(ctx.signal.reason) })
      })
    })
    const err = await a.bus.request(slow.id, 1, { timeout: 200 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'TIMEOUT')).toBe(true)
    await vi.waitFor(() => { expect(aborted).toBe(true) })
    await slow.stop({ timeout: 100 })
  })

  it('rejects with ABORTED when the caller aborts, and counts the late response as dropped', async () => {
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const gated = await b.spawnAgent({ name: 'gated', handle: async () => { await gate; return 'late' } })
    const controller = new AbortController()
    const pending = a.bus.request(gated.id, 1, { signal: controller.signal })
    setTimeout(() => { controller.abort() }, 30)
    const err = await pending.catch((e: unknown) => e)
    expect(isZeroStateError(err, 'ABORTED')).toBe(true)
    const lateBefore = await metricValue(a, 'zerostate_agent_messages_dropped_total', { reason: 'late_response' })
    release()
    await vi.waitFor(async () => { expect(await metricValue(a, 'zerostate_agent_messages_dropped_total', { reason: 'late_response' })).toBe(lateBefore + 1) })
    await gated.stop()
  })

  it('fails an outstanding call by id with its owner\'s error (failCall), and drops the late answer', async () => {
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const gated = await b.spawnAgent({ name: 'gated-by-id', handle: async () => { await gate; return 'late' } })
    const id = 'f0'.repeat(16)
    const pending = a.internals.core.call({ id, correlationId: id, type: 'REQUEST', delivery: 'AT_LEAST_ONCE', timestamp: Date.now(), ttl: 10_000, priority: 0, from: a.did, to: gated.id, replyTo: a.did, payload: 1 }, 10_000)
    expect(a.internals.core.failCall(id, new ZeroStateError('COORDINATOR_UNAVAILABLE', 'gone'))).toBe(true)
    expect(a.internals.core.failCall(id, new ZeroStateError('COORDINATOR_UNAVAILABLE', 'gone'))).toBe(false)
    const err = await pending.catch((e: unknown) => e)
    expect(isZeroStateError(err, 'COORDINATOR_UNAVAILABLE')).toBe(true)
    const lateBefore = await metricValue(a, 'zerostate_agent_messages_dropped_total', { reason: 'late_response' })
    release()
    await vi.waitFor(async () => { expect(await metricValue(a, 'zerostate_agent_messages_dropped_total', { reason: 'late_response' })).toBe(lateBefore + 1) })
    await gated.stop()
  })

  it('callMapped settles with the caller\'s mapping of the answer, of a throw in it, and of a failure', async () => {
    const echo = await b.spawnAgent({ name: 'mapped-echo', handle: (t: unknown) => t })
    const request = (payload: unknown, id: string): AgentMessage => ({ id, correlationId: id, type: 'REQUEST', delivery: 'BEST_EFFORT', timestamp: Date.now(), ttl: 2000, priority: 0, from: a.did, to: echo.id, replyTo: a.did, payload })
    const tag = (err: Error): Error => new ZeroStateError('COORDINATOR_UNAVAILABLE', 'mapped', { cause: err })
    expect(await a.internals.core.callMapped(request(20, 'a1'.repeat(16)), 2000, undefined, answer => (answer as number) + 1, tag)).toBe(21)
    const thrown = await a.internals.core.callMapped(request(1, 'a2'.repeat(16)), 2000, undefined, () => { throw new ZeroStateError('LOCK_CONFLICT', 'held') }, tag).catch((e: unknown) => e)
    expect(isZeroStateError(thrown, 'LOCK_CONFLICT')).toBe(true)
    const hang = await b.spawnAgent({ name: 'mapped-hang', handle: async () => await new Promise(() => {}) })
    const late = await a.internals.core.callMapped({ ...request(1, 'a3'.repeat(16)), to: hang.id }, 50, undefined, answer => answer, tag).catch((e: unknown) => e)
    expect(isZeroStateError(late, 'COORDINATOR_UNAVAILABLE')).toBe(true)
    expect((late as Error).cause).toMatchObject({ code: 'TIMEOUT' })
    await Promise.all([echo.stop(), hang.stop({ timeout: 0 })])
  })

  it('drops an envelope whose from names another node than its sender', async () => {
    let calls = 0
    const target = await b.spawnAgent({ name: 'target', handle: () => { calls++; return 'ok' } })
    const forged: AgentMessage = {
      id: 'ab'.repeat(16), correlationId: 'ab'.repeat(16), type: 'REQUEST', delivery: 'BEST_EFFORT',
      timestamp: Date.now(), ttl: 10_000, priority: 0, from: `${c.did}#mallory`, to: target.id, replyTo: `${c.did}#mallory`, payload: 'steal'
    }
    const before = await metricValue(b, 'zerostate_agent_messages_dropped_total', { reason: 'forged_sender' })
    // Node a publishes an envelope claiming to come from node c.
    await a.internals.libp2p.services.pubsub.publish(inboxTopic(b.peerId), encodeEnvelope(forged))
    await vi.waitFor(async () => { expect(await metricValue(b, 'zerostate_agent_messages_dropped_total', { reason: 'forged_sender' })).toBe(before + 1) })
    expect(calls).toBe(0)
    await target.stop()
  })

  it('drops an expired envelope and never delivers it', async () => {
    let calls = 0
    const target = await b.spawnAgent({ name: 'expiry', handle: () => { calls++; return 'ok' } })
    const expired: AgentMessage = {
      id: 'cd'.repeat(16), correlationId: '0'.repeat(32), type: 'REQUEST', delivery: 'BEST_EFFORT',
      timestamp: Date.now() - 60_000, ttl: 1_000, priority: 0, from: a.did, to: target.id, replyTo: a.did, payload: 'old news'
    }
    const before = await metricValue(b, 'zerostate_agent_messages_dropped_total', { reason: 'expired' })
    await a.internals.libp2p.services.pubsub.publish(inboxTopic(b.peerId), encodeEnvelope(expired))
    await vi.waitFor(async () => { expect(await metricValue(b, 'zerostate_agent_messages_dropped_total', { reason: 'expired' })).toBe(before + 1) })
    expect(calls).toBe(0)
    await target.stop()
  })

  it('takes a backlog in priority order', async () => {
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const order: string[] = []
    const worker = await b.spawnAgent({
      name: 'prio',
      handle: async (task: string) => { if (task === 'first') await gate; order.push(task); return task }
    })
    const first = a.bus.request(worker.id, 'first')
    const rest = [
      a.bus.request(worker.id, 'low', { priority: 1 }),
      a.bus.request(worker.id, 'high', { priority: 200 }),
      a.bus.request(worker.id, 'mid', { priority: 50 })
    ]
    // All three must sit in the mailbox before the gate opens.
    await vi.waitFor(async () => { expect(await metricValue(b, 'zerostate_agent_queue_depth', { agent: worker.name })).toBe(3) })
    release()
    await Promise.all([first, ...rest])
    expect(order).toEqual(['first', 'high', 'mid', 'low'])
    await worker.stop()
  })

  it('answers MAILBOX_FULL when the mailbox overflows', async () => {
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const worker = await b.spawnAgent({ name: 'tiny', mailboxSize: 1, handle: async () => { await gate; return 'done' } })
    const calls = [0, 1, 2].map(async i => await a.bus.request(worker.id, i).then(() => 'ok', (e: unknown) => isZeroStateError(e) ? e.code : 'other'))
    await vi.waitFor(async () => { expect(await metricValue(b, 'zerostate_agent_tasks_total', { agent: worker.name, outcome: 'rejected' })).toBe(1) })
    release()
    expect((await Promise.all(calls)).sort()).toEqual(['MAILBOX_FULL', 'ok', 'ok'])
    await worker.stop()
  })

  it('runs an EXACTLY_ONCE request once under injected duplicates and answers repeats from the cache', async () => {
    let calls = 0
    const counter = await c.spawnAgent({ name: 'once', handle: () => ++calls })
    const id = 'e1'.repeat(16)
    duplicate.add(id)
    const dupsBefore = await metricValue(c, 'zerostate_agent_messages_dropped_total', { reason: 'duplicate' })
    await expect(a.bus.request(counter.id, 'x', { id, delivery: 'EXACTLY_ONCE' })).resolves.toBe(1)
    await vi.waitFor(async () => { expect(await metricValue(c, 'zerostate_agent_messages_dropped_total', { reason: 'duplicate' })).toBeGreaterThan(dupsBefore) })
    // The same id again (a resumed caller): answered from the cache, not run again.
    await expect(a.bus.request(counter.id, 'x', { id, delivery: 'EXACTLY_ONCE' })).resolves.toBe(1)
    expect(calls).toBe(1)
    await counter.stop()
  })

  it('recovers an AT_LEAST_ONCE request whose first delivery was lost', async () => {
    let calls = 0
    const worker = await c.spawnAgent({ name: 'retry', handle: () => ++calls })
    const id = 'f1'.repeat(16)
    dropFirst.add(id)
    const before = await metricValue(a, 'zerostate_agent_messages_retransmitted_total')
    await expect(a.bus.request(worker.id, 'x', { id, delivery: 'AT_LEAST_ONCE', timeout: 5_000 })).resolves.toBe(1)
    expect(await metricValue(a, 'zerostate_agent_messages_retransmitted_total')).toBeGreaterThan(before)
    expect(calls).toBe(1)
    await worker.stop()
  })

  it('resolves a reliable one-way send once the receiver acknowledged it', async () => {
    const seen: unknown[] = []
    const inbox = await c.spawnAgent({ name: 'inbox', handle: () => null })
    inbox.bus.on('NEGOTIATION', msg => { seen.push(msg.payload) })
    await a.bus.send({ to: inbox.id, type: 'NEGOTIATION', payload: { offer: 1 }, delivery: 'AT_LEAST_ONCE', ttl: 5_000 })
    expect(seen).toEqual([{ offer: 1 }])
    await inbox.stop()
  })

  it('fails with DELIVERY_FAILED when the target node is not reachable', async () => {
    const nowhere = `${didFromPublicKey(new Uint8Array(32).fill(9))}#ghost`
    const err = await a.bus.request(nowhere, 1, { timeout: 5_000, ttl: 300 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'DELIVERY_FAILED')).toBe(true)
    const sendErr = await a.bus.send({ to: nowhere, type: 'NEGOTIATION', payload: 1, delivery: 'AT_LEAST_ONCE', ttl: 300 }).catch((e: unknown) => e)
    expect(isZeroStateError(sendErr, 'DELIVERY_FAILED')).toBe(true)
  })

  it('rejects a payload that is not plain data, and answers HANDLER_ERROR for such a result', async () => {
    const leaky = await b.spawnAgent({ name: 'leaky', handle: () => ({ callback: () => 1 }) })
    const sendErr = await a.bus.request(leaky.id, { fn: () => 1 }).catch((e: unknown) => e)
    expect(isZeroStateError(sendErr, 'INVALID_ARGUMENT')).toBe(true)
    const mapErr = await a.bus.request(leaky.id, { lookup: new Map([['k', 1]]) }).catch((e: unknown) => e)
    expect(isZeroStateError(mapErr, 'INVALID_ARGUMENT')).toBe(true)
    const replyErr = await a.bus.request(leaky.id, 'fine', { timeout: 5_000 }).catch((e: unknown) => e)
    expect(isZeroStateError(replyErr, 'HANDLER_ERROR')).toBe(true)
    await leaky.stop()
  })

  it('rejects timeouts and TTLs beyond 7 days with INVALID_ARGUMENT', async () => {
    await expect(a.bus.request(`${b.did}#x`, 1, { timeout: 1e12 })).rejects.toSatisfy(e => isZeroStateError(e, 'INVALID_ARGUMENT'))
    await expect(a.bus.send({ to: `${b.did}#x`, type: 'NEGOTIATION', payload: 1, ttl: 8 * 24 * 3600 * 1000 })).rejects.toSatisfy(e => isZeroStateError(e, 'INVALID_ARGUMENT'))
  })

  it('rejects malformed options with INVALID_ARGUMENT rather than a TypeError', async () => {
    const to = `${b.did}#x`
    await expect(a.bus.request(to, 1, { signal: 5 as unknown as AbortSignal })).rejects.toSatisfy(e => isZeroStateError(e, 'INVALID_ARGUMENT'))
    await expect(a.bus.send(null as never)).rejects.toSatisfy(e => isZeroStateError(e, 'INVALID_ARGUMENT'))
    await expect(a.bus.request(to, 1, { priority: 300 })).rejects.toSatisfy(e => isZeroStateError(e, 'INVALID_ARGUMENT'))
  })

  it('rejects an invalid address with a typed error', async () => {
    const err = await a.bus.request('did:key:nonsense#x', 1).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'INVALID_ADDRESS')).toBe(true)
  })
})

describe('messaging with gossipsub StrictSign', () => {
  it('answers requests across nodes when gossipsub signs every message', async () => {
    const nodes = await startMesh(2, { signaturePolicy: 'strict-sign' })
    try {
      const [x, y] = nodes as [ZeroStateNode, ZeroStateNode]
      const echo = await y.spawnAgent({ name: 'echo', handle: (t: unknown) => t })
      await expect(x.bus.request(echo.id, 'signed')).resolves.toBe('signed')
    } finally {
      await stopAll(nodes)
    }
  })
})
