/**
 * Coordination on 3 real nodes (libp2p on 127.0.0.1, port 0): node 0 is the
 * coordinator, nodes 1 and 2 reach it over the bus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBaseNode, type BaseNode } from '../../src/node/create-node.ts'
import { attachCoordination, type NodeCoordination } from '../../src/coordination/attach-coordination.ts'
import { isZeroStateError } from '../../src/errors.ts'
import type { Coordination } from '../../src/coordination/types.ts'
import { silentLogger } from './helpers.ts'

interface MeshNode { base: BaseNode, coordination: NodeCoordination }

async function startMesh (count: number): Promise<MeshNode[]> {
  const first = await createBaseNode({ logger: silentLogger })
  const bases = [first]
  for (let i = 1; i < count; i++) bases.push(await createBaseNode({ logger: silentLogger, bootstrap: first.multiaddrs.map(a => a.toString()) }))
  for (let i = 1; i < count; i++) {
    for (let j = i + 1; j < count; j++) await bases[i].dial(bases[j].multiaddrs[0])
  }
  return bases.map(base => ({ base, coordination: attachCoordination(base, { coordinator: first.peerId }) }))
}

/** Wait until every node can reach the coordinator (gossipsub subscriptions settle). */
async function ready (nodes: MeshNode[]): Promise<void> {
  await Promise.all(nodes.map(async n => { await n.coordination.coordination.getState('ready-probe') }))
}

/** A resource that rejects writes with a stale fencing token. */
class FencedResource {
  highest = 0
  holders = 0
  maxHolders = 0
  rejected = 0
  enter (token: number): void {
    if (token < this.highest) {
      this.rejected += 1
      throw new Error('stale token')
    }
    this.highest = token
    this.holders += 1
    this.maxHolders = Math.max(this.maxHolders, this.holders)
  }

  leave (): void { this.holders -= 1 }
}

describe('coordination on 3 real nodes', () => {
  let nodes: MeshNode[] = []
  beforeAll(async () => {
    nodes = await startMesh(3)
    await ready(nodes)
  })
  afterAll(async () => {
    await Promise.allSettled(nodes.map(async n => { await n.base.stop({ timeout: 100 }) }))
  })

  it('10 agents across the nodes each increment a shared counter 20 times: the result is exactly 200', async () => {
    const agents: Coordination[] = Array.from({ length: 10 }, (_, i) => nodes[i % 3].coordination.forHolder(`${nodes[i % 3].base.did}#counter-${i}`))
    await Promise.all(agents.map(async agent => {
      for (let i = 0; i < 20; i++) await agent.updateState('counter', 'count', (n: unknown) => ((n as number | undefined) ?? 0) + 1)
    }))
    const state = await nodes[1].coordination.coordination.getState<{ count: number }>('counter')
    expect(state?.value.count).toBe(200)
  })

  it('an exclusive lock contended by 3 nodes is never held twice (a fenced resource accepts every write)', async () => {
    const resource = new FencedResource()
    let grants = 0
    await Promise.all(nodes.map(async node => {
      for (let i = 0; i < 5; i++) {
        const lock = await node.coordination.coordination.acquireLock('fenced', { ttl: 10_000 })
        resource.enter(lock.fencingToken)
        grants += 1
        await new Promise(resolve => setImmediate(resolve))
        resource.leave()
        await node.coordination.coordination.releaseLock(lock.token)
      }
    }))
    expect(grants).toBe(15)
    expect(resource.maxHolders).toBe(1)
    expect(resource.rejected).toBe(0)
    expect(resource.highest).toBe(15)
  })

  it('a 10-party barrier across 3 nodes releases all together', async () => {
    const parties = Array.from({ length: 10 }, (_, i) => nodes[i % 3].coordination.forHolder(`${nodes[i % 3].base.did}#party-${i}`))
    const released: number[] = []
    const results = await Promise.all(parties.map(async p => {
      const r = await p.waitAtBarrier('compile', 10, { timeout: 10_000 })
      released.push(performance.now())
      return r
    }))
    expect(results.every(r => r.generation === 0)).toBe(true)
    expect(Math.max(...released) - Math.min(...released)).toBeLessThan(1000)
  })

  it('a holder whose node dies loses the lock after its TTL, and the next holder gets a larger token', async () => {
    const extra = await createBaseNode({ logger: silentLogger, bootstrap: nodes[0].base.multiaddrs.map(a => a.toString()) })
    const doomed = attachCoordination(extra, { coordinator: nodes[0].base.did })
    try {
      await doomed.coordination.getState('ready-probe')
      const held = await doomed.coordination.acquireLock('leader', { ttl: 300 })
      await extra.internals.libp2p.stop() // crash: no goodbye, no release
      const start = performance.now()
      const next = await nodes[2].coordination.coordination.acquireLock('leader', { ttl: 1000 })
      expect(performance.now() - start).toBeGreaterThan(150)
      expect(next.fencingToken).toBeGreaterThan(held.fencingToken)
      const renew = await nodes[0].coordination.authority?.execute({ op: 'lock.renew', token: held.token, ttl: 100 }, { caller: extra.did, requestId: 'late-renew' })
      expect(renew).toMatchObject({ ok: false, error: { code: 'LOCK_LOST' } })
      await nodes[2].coordination.coordination.releaseLock(next.token)
    } finally {
      await extra.stop({ timeout: 100 }).catch(() => {})
    }
  })

  it('a remote wait:false acquire of a held lock fails with LOCK_CONFLICT', async () => {
    const lock = await nodes[0].coordination.coordination.acquireLock('busy', { ttl: 5000 })
    const err = await nodes[1].coordination.coordination.acquireLock('busy', { ttl: 5000, wait: false }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'LOCK_CONFLICT')).toBe(true)
    await nodes[0].coordination.coordination.releaseLock(lock.token)
  })
})
