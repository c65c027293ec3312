import { afterAll, describe, expect, it, vi } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import { createNode, type ZeroStateNode } from '../../src/index.ts'
import { startEchoPairWithKnownKey, startMesh, stopAll } from '../helpers/mesh.ts'

const started: ZeroStateNode[] = []
afterAll(async () => { await stopAll(started) })

async function failure (promise: Promise<unknown>): Promise<{ code: string, ms: number }> {
  const t0 = Date.now()
  try {
    await promise
  } catch (err) {
    return { code: isZeroStateError(err) ? err.code : `untyped: ${String(err)}`, ms: Date.now() - t0 }
  }
  return { code: 'resolved', ms: Date.now() - t0 }
}

// A request to an agent of a node that left the mesh used to wait for its whole
// timeout, queued for an inbox subscription that would never come back. Now it
// waits at most the bridge's grace for a node coming back (1 s), then fails.
describe('a node that said goodbye', () => {
  it('is not waited for: requests to its agents fail with DELIVERY_FAILED within a second, not at their deadline, until it comes back with the same key', async () => {
    const { a, b, key, spec, agentId } = await startEchoPairWithKnownKey(started)
    const agent = { id: agentId }
    await b.stop({ timeout: 200 })
    await vi.waitFor(() => { expect(a.internals.libp2p.getConnections().some(c => c.remotePeer.toString() === b.peerId)).toBe(false) })
    const gone = await failure(a.bus.request(agent.id, 2, { timeout: 10_000 }))
    expect(gone.code).toBe('DELIVERY_FAILED')
    expect(gone.ms).toBeLessThan(2000)
    const reliable = await failure(a.bus.send({ to: agent.id, type: 'NEGOTIATION', payload: 'x', delivery: 'AT_LEAST_ONCE' }))
    expect(reliable.code).toBe('DELIVERY_FAILED')

    const b2 = await createNode({ privateKey: key, heartbeatMs: 100, bootstrap: a.multiaddrs.map(String) })
    started.push(b2)
    await b2.spawnAgent(spec)
    expect(await a.bus.request(agent.id, 3, { timeout: 3000 })).toBe(3)
  })

  it('fails what was already waiting for it when it leaves', async () => {
    const nodes = await startMesh(3, { heartbeatMs: 100 })
    started.push(...nodes)
    const [a, b, c] = nodes as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
    const agent = await c.spawnAgent({ name: 'echo', handle: (t: unknown) => t })
    expect(await a.bus.request(agent.id, 0, { timeout: 2000 })).toBe(0)
    // a loses its view of c's inbox subscription (as in a partition), so a's next request waits in its queue ...
    a.internals.libp2p.services.pubsub.dispatchEvent(new CustomEvent('subscription-change', { detail: { peerId: a.internals.libp2p.getConnections().find(x => x.remotePeer.toString() === c.peerId)!.remotePeer, subscriptions: [{ topic: `/zerostate/1/inbox/${c.peerId}`, subscribe: false }] } }))
    const waiting = failure(a.bus.request(agent.id, 1, { timeout: 10_000 }))
    // ... then c leaves; its goodbye reaches a through b as well
    await c.stop({ timeout: 200 })
    const result = await waiting
    expect(result.code).toBe('DELIVERY_FAILED')
    expect(result.ms).toBeLessThan(3000)
    expect(await a.bus.request(await b.spawnAgent({ name: 'still', handle: () => 'here' }).then(x => x.id), null, { timeout: 2000 })).toBe('here')
  })
})
