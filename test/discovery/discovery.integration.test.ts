import { afterEach, describe, expect, it, vi } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import { startMesh, stopMesh, type MeshNode } from './mesh-harness.ts'

const WAIT = { timeout: 5000, interval: 20 }

describe('discovery on three real nodes', () => {
  let nodes: MeshNode[] = []
  afterEach(async () => { await stopMesh(nodes); nodes = [] })

  it('an agent spawned on node 3 is found by capability from node 1, and is gone after it stops', async () => {
    nodes = await startMesh(3)
    const [n1, , n3] = nodes
    const agent = await n3!.base.spawnAgent({ name: 'upper', capabilities: ['upper', 'text'], handle: (task: string) => task.toUpperCase() })
    await vi.waitFor(() => { expect(n1!.discovery.directory.find('upper').map(e => e.id)).toEqual([agent.id]) }, WAIT)
    const entry = n1!.discovery.directory.get(agent.id)
    expect(entry).toMatchObject({ nodeDid: n3!.base.did, capabilities: ['upper', 'text'], local: false })
    expect(await n1!.base.bus.request({ capability: 'upper' }, 'mesh')).toBe('MESH')

    await agent.stop()
    await vi.waitFor(() => { expect(n1!.discovery.directory.get(agent.id)).toBeUndefined() }, WAIT)
    await expect(n1!.base.bus.request({ capability: 'upper' }, 'x')).rejects.toSatisfy(err => isZeroStateError(err, 'NO_AGENT'))
  })

  it('a node that hears of an agent on a node it is not connected to dials that node', async () => {
    nodes = await startMesh(3)
    const [, n2, n3] = nodes
    const agent = await n3!.base.spawnAgent({ name: 'echo', capabilities: ['echo'], handle: (task: unknown) => task })
    await vi.waitFor(() => { expect(n2!.discovery.directory.get(agent.id)).toBeDefined() }, WAIT)
    await vi.waitFor(() => {
      expect(n2!.base.internals.libp2p.getConnections().some(c => c.remotePeer.toString() === n3!.base.peerId)).toBe(true)
    }, WAIT)
    expect(await n2!.base.bus.request({ capability: 'echo' }, 42, { timeout: 3000 })).toBe(42)
  })

  it('the agents of a stopped node leave the directory', async () => {
    nodes = await startMesh(3)
    const [n1, , n3] = nodes
    const agent = await n3!.base.spawnAgent({ name: 'worker', capabilities: ['work'], handle: () => 'done' })
    await vi.waitFor(() => { expect(n1!.discovery.directory.get(agent.id)).toBeDefined() }, WAIT)
    const removed = new Promise<string>(resolve => {
      n1!.discovery.directory.on('change', change => { if (change.type === 'removed') resolve(change.entry.id) })
    })
    await n3!.base.stop()
    expect(await removed).toBe(agent.id)
    expect(n1!.discovery.directory.find('work')).toEqual([])
  })

  it('least-loaded spreads 30 concurrent tasks across 3 equal agents on 3 nodes', async () => {
    nodes = await startMesh(3)
    const served = new Map<string, number>()
    const ids: string[] = []
    for (const [i, node] of nodes.entries()) {
      const agent = await node.base.spawnAgent({
        name: `w${i}`,
        capabilities: ['slow'],
        concurrency: 2,
        handle: async () => { await new Promise(resolve => setTimeout(resolve, 20)); return i }
      })
      ids.push(agent.id)
    }
    const n1 = nodes[0]!
    await vi.waitFor(() => { expect(n1.discovery.directory.find('slow')).toHaveLength(3) }, WAIT)
    const replies = await Promise.all(Array.from({ length: 30 }, async () => await n1.base.bus.call({ capability: 'slow' }, null, { timeout: 5000 })))
    for (const reply of replies) served.set(reply.agentId, (served.get(reply.agentId) ?? 0) + 1)
    expect([...served.keys()].sort()).toEqual([...ids].sort())
    for (const count of served.values()) expect(count).toBeGreaterThanOrEqual(8)
  })

  it('an auction with 3 bidders on 3 nodes awards the cheapest', async () => {
    nodes = await startMesh(3)
    const prices = [5, 2, 7]
    for (const [i, node] of nodes.entries()) {
      await node.base.spawnAgent({
        name: `bidder${i}`,
        capabilities: ['render'],
        price: prices[i]!,
        handle: (task: { scene: number }, ctx) => { ctx.reportCost(prices[i]! - 1); return { scene: task.scene, by: i } }
      })
    }
    const n1 = nodes[0]!
    await vi.waitFor(() => { expect(n1.discovery.directory.find('render')).toHaveLength(3) }, WAIT)
    const result = await n1.discovery.auction<{ scene: number, by: number }>({ capability: 'render', task: { scene: 7 }, windowMs: 500 })
    expect(result.winner).toMatchObject({ agentId: `${nodes[1]!.base.did}#bidder1`, price: 2, etaMs: 0 })
    expect(result.bids.map(b => b.price)).toEqual([2, 5, 7])
    expect(result.output).toEqual({ scene: 7, by: 1 })
    expect(result.cost).toBe(1)
    expect(await n1.base.metrics()).toMatch(/zerostate_auctions_total\{outcome="awarded"\} 1/)
  })

  it('a crashing agent is restarted, stopped after its restart budget, and leaves the directory', async () => {
    nodes = await startMesh(2)
    const [n1, n2] = nodes
    let runs = 0
    const agent = await n2!.base.spawnAgent({
      name: 'fragile',
      capabilities: ['fragile'],
      supervision: { maxRestarts: 2, withinMs: 10_000, backoffMs: 5 },
      handle: () => { runs++; throw new Error('boom') }
    })
    await vi.waitFor(() => { expect(n1!.discovery.directory.get(agent.id)).toBeDefined() }, WAIT)
    for (let i = 0; i < 3; i++) {
      await vi.waitFor(() => { expect(n1!.discovery.directory.get(agent.id)).toBeDefined() }, WAIT)
      await n1!.base.bus.request(agent.id, i, { timeout: 2000 }).catch(() => {})
    }
    expect(runs).toBe(3)
    await vi.waitFor(() => { expect(n1!.discovery.directory.get(agent.id)).toBeUndefined() }, WAIT)
    expect(n2!.discovery.directory.get(agent.id)).toBeUndefined()
  })
})
