/**
 * Coordination on 3 real nodes (libp2p on 127.0.0.1, port 0): node 0 is the
 * coordinator, nodes 1 and 2 reach it over the bus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNode, isZeroStateError, type ZeroStateNode } from '../../src/index.ts'
import { silentLogger } from './helpers.ts'

async function startMesh (count: number): Promise<ZeroStateNode[]> {
  const first = await createNode({ logger: silentLogger })
  const nodes = [first]
  const coordinator = first.multiaddrs[0].toString()
  for (let i = 1; i < count; i++) nodes.push(await createNode({ logger: silentLogger, coordinator }))
  for (let i = 1; i < count; i++) {
    for (let j = i + 1; j < count; j++) await nodes[i].dial(nodes[j].multiaddrs[0])
  }
  return nodes
}

/** Wait until every node can reach the coordinator (gossipsub subscriptions settle). */
async function ready (nodes: ZeroStateNode[]): Promise<void> {
  await Promise.all(nodes.map(async n => { await n.coordination.getState('ready-probe') }))
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
  let nodes: ZeroStateNode[] = []
  beforeAll(async () => {
    nodes = await startMesh(3)
    await ready(nodes)
  })
  afterAll(async () => {
    await Promise.allSettled(nodes.map(async n => { await n.stop({ timeout: 100 }) }))
  })

  it('10 agents across the nodes each increment a shared counter 20 times: the result is exactly 200', async () => {
    const agents = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      const node = nodes[i % 3]
      const agent = await node.spawnAgent({
        name: `counter-${i}`,
        handle: async () => {
          const coordination = node.coordinationFor(agent.id)
          for (let k = 0; k < 20; k++) await coordination.updateState('counter', 'count', (n: unknown) => ((n as number | undefined) ?? 0) + 1)
          return 'done'
        }
      })
      return agent
    }))
    await Promise.all(agents.map(async (agent, i) => await nodes[(i + 1) % 3].bus.request(agent.id, 'go', { timeout: 20_000 })))
    const state = await nodes[1].coordination.getState<{ count: number }>('counter')
    expect(state?.value.count).toBe(200)
  })

  it('an exclusive lock contended by 3 nodes is never held twice (a fenced resource accepts every write)', async () => {
    const resource = new FencedResource()
    let grants = 0
    await Promise.all(nodes.map(async node => {
      for (let i = 0; i < 5; i++) {
        const lock = await node.coordination.acquireLock('fenced', { ttl: 10_000 })
        resource.enter(lock.fencingToken)
        grants += 1
        await new Promise(resolve => setImmediate(resolve))
        resource.leave()
        await node.coordination.releaseLock(lock.token)
      }
    }))
    expect(grants).toBe(15)
    expect(resource.maxHolders).toBe(1)
    expect(resource.rejected).toBe(0)
    expect(resource.highest).toBe(15)
  })

  it('a 10-party barrier across 3 nodes releases all together', async () => {
    const parties = Array.from({ length: 10 }, (_, i) => nodes[i % 3].coordinationFor(`${nodes[i % 3].did}#party-${i}`))
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
    const extra = await createNode({ logger: silentLogger, coordinator: nodes[0].multiaddrs[0].toString() })
    try {
      await extra.coordination.getState('ready-probe')
      const held = await extra.coordination.acquireLock('leader', { ttl: 300 })
      await extra.internals.libp2p.stop() // crash: no goodbye, no release
      const start = performance.now()
      const next = await nodes[2].coordination.acquireLock('leader', { ttl: 1000 })
      expect(performance.now() - start).toBeGreaterThan(150)
      expect(next.fencingToken).toBeGreaterThan(held.fencingToken)
      const renew = await nodes[0].coordination.renewLock(held.token, 100).catch((e: unknown) => e)
      expect(isZeroStateError(renew, 'LOCK_LOST')).toBe(true)
      await nodes[2].coordination.releaseLock(next.token)
    } finally {
      await extra.stop({ timeout: 100 }).catch(() => {})
    }
  })

  it('a remote wait:false acquire of a held lock fails with LOCK_CONFLICT', async () => {
    const lock = await nodes[0].coordination.acquireLock('busy', { ttl: 5000 })
    const err = await nodes[1].coordination.acquireLock('busy', { ttl: 5000, wait: false }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'LOCK_CONFLICT')).toBe(true)
    await nodes[0].coordination.releaseLock(lock.token)
  })

  it('a stopped agent\'s locks are released at once', async () => {
    const agent = await nodes[1].spawnAgent({ name: 'holder', handle: () => null })
    await nodes[1].coordinationFor(agent.id).acquireLock('agent-lock', { ttl: 60_000 })
    const waiting = nodes[2].coordination.acquireLock('agent-lock', { ttl: 1000 })
    await agent.stop()
    expect((await waiting).fencingToken).toBe(2)
  })
})
