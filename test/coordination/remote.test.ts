import { describe, expect, it, vi } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import { createCoordinationClient, releaseHolder } from '../../src/coordination/coordination-client.ts'
import { serveCoordination, type CoordinationServer } from '../../src/coordination/coordination-server.ts'
import { createRemoteBackend } from '../../src/coordination/remote-backend.ts'
import type { SharedState } from '../../src/coordination/types.ts'
import { createInMemoryNetwork, flush, setup, silentLogger, track } from './helpers.ts'

const NODE_B = 'did:key:zB'
const NODE_C = 'did:key:zC'

/** A coordinator (authority + server) and remote nodes reaching it over an in-memory network. */
function remoteSetup () {
  const base = setup()
  let server: CoordinationServer | undefined
  const network = createInMemoryNetwork(() => server as CoordinationServer)
  server = serveCoordination({ authority: base.authority, notify: (to, payload) => { network.notify(to, payload) }, logger: silentLogger })
  const backendOf = (node: string) => createRemoteBackend({ transport: network.transport(node), timeout: 1000, logger: silentLogger })
  const remote = (node: string, agent = 'agent') => createCoordinationClient({ backend: backendOf(node), holder: `${node}#${agent}`, logger: silentLogger, random: () => 0.5 })
  return { ...base, network, server, remote, backendOf }
}

describe('coordination over a transport to a remote authority', () => {
  it('a remote holder acquires, is told of expiry, and the next remote holder gets a larger token', async () => {
    const { remote, clock } = remoteSetup()
    const b = remote(NODE_B)
    const onLost = vi.fn()
    const grant = await b.acquireLock('db', { ttl: 1000, onLost })
    const next = track(remote(NODE_C).acquireLock('db', { ttl: 1000 }))
    clock.increment(1000)
    await flush()
    expect(onLost).toHaveBeenCalledWith({ resource: 'db', token: grant.token, fencingToken: 1, reason: 'expired' })
    expect((await next.promise).fencingToken).toBe(2)
    const err = await b.renewLock(grant.token, 1000).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'LOCK_LOST')).toBe(true)
  })

  it('a request delivered twice (at-least-once) is granted once', async () => {
    const { remote, network, authority } = remoteSetup()
    network.setFaults({ duplicates: 2 })
    const grant = await remote(NODE_B).acquireLock('db', { ttl: 1000 })
    network.setFaults({})
    const probe = await authority.execute({ op: 'lock.acquire', resource: 'db', type: 'exclusive', ttl: 1000, wait: false }, { caller: 'x', requestId: 'probe' })
    expect(probe).toMatchObject({ ok: false, error: { code: 'LOCK_CONFLICT' } })
    expect(grant.fencingToken).toBe(1)
  })

  it('a grant whose answer was lost is released again through a cancel', async () => {
    const { remote, network } = remoteSetup()
    network.setFaults({ loseAnswer: p => (p as { op: { op: string } }).op.op === 'lock.acquire' })
    const err = await remote(NODE_B).acquireLock('db', { ttl: 60_000 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'COORDINATOR_UNAVAILABLE')).toBe(true)
    network.setFaults({})
    await flush()
    expect((await remote(NODE_C).acquireLock('db', { ttl: 1000, wait: false })).fencingToken).toBe(2)
  })

  it('aborting a remote waiter withdraws it at the authority', async () => {
    const { remote } = remoteSetup()
    const b = remote(NODE_B)
    const held = await b.acquireLock('db', { ttl: 60_000 })
    const controller = new AbortController()
    const aborted = track(remote(NODE_C).acquireLock('db', { ttl: 1000, signal: controller.signal }))
    const after = track(remote(NODE_C, 'other').acquireLock('db', { ttl: 1000 }))
    await flush()
    controller.abort()
    await flush()
    expect(isZeroStateError(aborted.error(), 'ABORTED')).toBe(true)
    await b.releaseLock(held.token)
    expect((await after.promise).holder).toBe(`${NODE_C}#other`)
  })

  it('refuses a request for a caller of another node', async () => {
    const { server } = remoteSetup()
    const answer = await server.handle({ v: 1, caller: `${NODE_C}#x`, requestId: 'r', op: { op: 'state.get', key: 'k' } }, NODE_B)
    expect(answer).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it('answers a malformed request with INVALID_ARGUMENT', async () => {
    const { server } = remoteSetup()
    expect(await server.handle({ v: 9 }, NODE_B)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(await server.handle({ v: 1, caller: NODE_B, requestId: 'r', op: { op: 'lock.acquire', resource: 'db', type: 'weird', ttl: 1, wait: true } }, NODE_B))
      .toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it('watchState delivers pushed versions in order even when the pushes arrive reversed', async () => {
    const { remote, network } = remoteSetup()
    const seen: Array<SharedState<number>> = []
    const watch = remote(NODE_B).watchState<number>('k', s => { seen.push(s) })
    await watch.ready
    network.setFaults({ reversePushes: true })
    const writer = remote(NODE_C)
    let version = 0
    for (let i = 1; i <= 4; i++) version = (await writer.setState('k', i, version)).version
    network.releasePushes()
    expect(seen.map(s => s.version)).toEqual([1, 2, 3, 4])
  })

  it('a node that leaves loses its locks at once', async () => {
    const { remote, server } = remoteSetup()
    await remote(NODE_B).acquireLock('db', { ttl: 60_000 })
    const waiting = track(remote(NODE_C).acquireLock('db', { ttl: 1000 }))
    await flush()
    server.peerLeft(NODE_B)
    expect((await waiting.promise).fencingToken).toBe(2)
  })

  it('a 3-party barrier across remote nodes and the coordinator releases all together', async () => {
    const { remote, client } = remoteSetup()
    const results = await Promise.all([
      remote(NODE_B).waitAtBarrier('compile', 3, { timeout: 5000 }),
      remote(NODE_C).waitAtBarrier('compile', 3, { timeout: 5000 }),
      client('did:key:zA#agent').waitAtBarrier('compile', 3, { timeout: 5000 })
    ])
    expect(results.map(r => r.generation)).toEqual([0, 0, 0])
  })

  it('a node releases the holdings of its stopped agent, and only of its own agents', async () => {
    const { remote, backendOf } = remoteSetup()
    await remote(NODE_B, 'worker').acquireLock('db', { ttl: 60_000 })
    const waiting = track(remote(NODE_C).acquireLock('db', { ttl: 1000 }))
    const refused = await releaseHolder(backendOf(NODE_C), NODE_C, `${NODE_B}#worker`).catch((e: unknown) => e)
    expect(isZeroStateError(refused, 'INVALID_ARGUMENT')).toBe(true)
    await flush()
    expect(waiting.settled()).toBe(false)
    await releaseHolder(backendOf(NODE_B), NODE_B, `${NODE_B}#worker`)
    expect((await waiting.promise).fencingToken).toBe(2)
  })
})
