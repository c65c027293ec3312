import { afterAll, describe, expect, it, vi } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { isZeroStateError } from '../../src/errors.ts'
import type { ZeroStateNode } from '../../src/index.ts'
import { watchCoordinatorLink, type CoordinatorLinkHost } from '../../src/coordination/coordinator-link.ts'
import { startMesh, stopAll } from '../helpers/mesh.ts'

const started: ZeroStateNode[] = []
afterAll(async () => { await stopAll(started) })

async function codeOf (promise: Promise<unknown>): Promise<string> {
  try { await promise } catch (err) { return isZeroStateError(err) ? err.code : `untyped: ${String(err)}` }
  return 'resolved'
}

// A coordinator that dies without answering (crash, power loss) used to leave
// every waiting lock acquire and barrier wait of the other nodes pending for
// days: their messages waited for its inbox until their TTL.
describe('losing the coordinator', () => {
  it('waiters on other nodes fail with COORDINATOR_UNAVAILABLE when it crashes', async () => {
    const key = await generateKeyPair('Ed25519')
    const coordinator = peerIdFromPrivateKey(key).toString()
    let crashed = false
    const nodes = await startMesh(3, i => i === 0 ? { privateKey: key, faults: { outbound: () => crashed ? 'drop' : 'deliver' } } : { coordinator })
    started.push(...nodes)
    const [c, x, y] = nodes as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
    await x.coordination.acquireLock('db', { ttl: 60_000 })
    const lockWaiter = codeOf(y.coordination.acquireLock('db', { ttl: 60_000 }))
    const barrierWaiter = codeOf(x.coordination.waitAtBarrier('phase', 2))
    await vi.waitFor(async () => { expect(await c.metrics()).toMatch(/zerostate_coordination_lock_conflicts_total\{[^}]*\} 1/) })
    crashed = true // the coordinator sends nothing more, not even its goodbye answers
    const t0 = Date.now()
    await c.stop({ timeout: 100 })
    expect(await lockWaiter).toBe('COORDINATOR_UNAVAILABLE')
    expect(await barrierWaiter).toBe('COORDINATOR_UNAVAILABLE')
    expect(Date.now() - t0).toBeLessThan(3000)
  })
})

describe('the coordinator link', () => {
  const peerId = { toString: () => '12D3KooWcoordinator' } as unknown as PeerId
  function fakeHost (connected: boolean): CoordinatorLinkHost & { disconnect: (peer: string) => void } {
    const listeners = new Set<(event: CustomEvent<PeerId>) => void>()
    return {
      getConnections: () => connected ? [{}] : [],
      addEventListener: (_type, listener) => { listeners.add(listener) },
      removeEventListener: (_type, listener) => { listeners.delete(listener) },
      disconnect: peer => { for (const l of listeners) l(new CustomEvent('peer:disconnect', { detail: { toString: () => peer } as unknown as PeerId })) }
    }
  }

  function linkFor (host: CoordinatorLinkHost, reachMs = 20) {
    const failed = new Map<string, unknown>()
    const link = watchCoordinatorLink({ host, peerId, reachMs, fail: (id, error) => { failed.set(id, error) } })
    return { link, failed }
  }

  it('fails a call that cannot reach the coordinator within reachMs', async () => {
    const { link, failed } = linkFor(fakeHost(false))
    link.watch('call-1')
    await vi.waitFor(() => { expect(failed.has('call-1')).toBe(true) })
    expect(isZeroStateError(failed.get('call-1'), 'COORDINATOR_UNAVAILABLE')).toBe(true)
    link.close()
  })

  it('does not fail a call that ended before reachMs', async () => {
    const { link, failed } = linkFor(fakeHost(false), 5)
    link.watch('quick')
    link.done('quick')
    link.watch('slow')
    await vi.waitFor(() => { expect(failed.has('slow')).toBe(true) })
    expect(failed.has('quick')).toBe(false)
    link.close()
  })

  it('fails outstanding calls when the coordinator disconnects, not when another peer does, and not finished calls', () => {
    const host = fakeHost(true)
    const { link, failed } = linkFor(host)
    link.watch('finished')
    link.done('finished')
    link.watch('open')
    host.disconnect('12D3KooWsomeoneelse')
    expect(failed.size).toBe(0)
    host.disconnect('12D3KooWcoordinator')
    expect([...failed.keys()]).toEqual(['open'])
    expect(isZeroStateError(failed.get('open'), 'COORDINATOR_UNAVAILABLE')).toBe(true)
    host.disconnect('12D3KooWcoordinator')
    expect(failed.size).toBe(1)
    link.close()
  })
})
