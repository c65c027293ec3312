import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import type { ZeroStateNode } from '../../src/index.ts'
import { startMesh, stopAll } from '../helpers/mesh.ts'
import { heal, partition } from '../helpers/partition.ts'

const started: ZeroStateNode[] = []
afterAll(async () => { await stopAll(started) })

async function codeOf (promise: Promise<unknown>): Promise<string> {
  try { await promise } catch (err) { return isZeroStateError(err) ? err.code : `untyped: ${String(err)}` }
  return 'resolved'
}

describe('coordination across a partition', () => {
  // The new barrier arrival used to reach the coordinator before the cancel of the
  // abandoned one: both were counted as the 2 parties (the node met itself) and the
  // other node's arrival waited in the next generation.
  it('waiters cut off from the coordinator fail with COORDINATOR_UNAVAILABLE; after healing, locks and barriers work again without a restart', async () => {
    const key = await generateKeyPair('Ed25519')
    const coordinator = peerIdFromPrivateKey(key).toString()
    const nodes = await startMesh(3, i => i === 0 ? { privateKey: key } : { coordinator })
    started.push(...nodes)
    const [c, x, y] = nodes as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
    const barrier = codeOf(x.coordination.waitAtBarrier('phase', 2))
    const held = await y.coordination.acquireLock('db', { ttl: 60_000 })
    const lockWaiter = codeOf(x.coordination.acquireLock('db', { ttl: 60_000 }))
    await vi.waitFor(async () => { expect(await c.metrics()).toMatch(/zerostate_coordination_lock_conflicts_total\{[^}]*\} 1/) })
    const t0 = Date.now()
    await partition(x, c)
    expect(await barrier).toBe('COORDINATOR_UNAVAILABLE')
    expect(await lockWaiter).toBe('COORDINATOR_UNAVAILABLE')
    expect(Date.now() - t0).toBeLessThan(1000)

    heal(x, c)
    await y.coordination.releaseLock(held.token)
    const lock = await x.coordination.acquireLock('db', { ttl: 60_000 })
    expect(lock.fencingToken).toBeGreaterThan(held.fencingToken)
    await x.coordination.releaseLock(lock.token)
    const [gx, gy] = await Promise.all([
      x.coordination.waitAtBarrier('phase', 2, { timeout: 3000 }),
      y.coordination.waitAtBarrier('phase', 2, { timeout: 3000 })
    ])
    expect(gx.generation).toBe(gy.generation)
    expect(await y.coordination.acquireLock('db', { ttl: 1000, wait: false })).toMatchObject({ holder: y.did })
  })
})
