import { afterEach, describe, expect, it } from 'vitest'
import type { AgentHandle, CallForProposals } from '../../src/agent-types.ts'
import { isZeroStateError, type ZeroStateError } from '../../src/errors.ts'
import { startMesh, stopMesh, type MeshNode } from './mesh-harness.ts'

describe('auctions and selection on one node', () => {
  let nodes: MeshNode[] = []
  afterEach(async () => { await stopMesh(nodes); nodes = [] })

  async function oneNode (): Promise<MeshNode> {
    nodes = await startMesh(1)
    return nodes[0]!
  }

  it('a freshly spawned agent is in the directory and selectable at once', async () => {
    const { base, discovery } = await oneNode()
    const agent = await base.spawnAgent({ name: 'echo', capabilities: ['echo'], handle: (t: unknown) => t })
    expect(discovery.directory.find('echo')).toMatchObject([{ id: agent.id, local: true, nodeDid: base.did }])
    expect(await base.bus.request({ capability: 'echo' }, 'hi')).toBe('hi')
    await agent.stop()
    expect(discovery.directory.get(agent.id)).toBeUndefined()
  })

  it('bidders see the task; the winner executes it and its cost is returned', async () => {
    const { base, discovery } = await oneNode()
    const seen: CallForProposals[] = []
    await base.spawnAgent({ name: 'a', capabilities: ['sum'], bid: cfp => { seen.push(cfp); return { price: 3, etaMs: 10 } }, handle: (t: number[], ctx) => { ctx.reportCost(2); return t.reduce((x, y) => x + y, 0) } })
    await base.spawnAgent({ name: 'b', capabilities: ['sum'], price: 3, handle: () => -1 })
    const result = await discovery.auction<number>({ capability: 'sum', task: [1, 2, 3], windowMs: 200 })
    // equal prices: the lower ETA wins
    expect(result.winner).toMatchObject({ agentId: `${base.did}#b`, price: 3, etaMs: 0 })
    expect(result.output).toBe(-1)
    expect(seen).toMatchObject([{ capability: 'sum', task: [1, 2, 3], from: base.did }])
    const cheaper = await discovery.auction<number>({ capability: 'sum', task: [1, 2, 3], windowMs: 200, exclude: [`${base.did}#b`] })
    expect(cheaper).toMatchObject({ output: 6, cost: 2, winner: { agentId: `${base.did}#a` } })
  })

  it('fails with AUCTION_FAILED when nobody bids or every bid is above maxPrice', async () => {
    const { base, discovery } = await oneNode()
    await expect(discovery.auction({ capability: 'none', task: 1, windowMs: 50 })).rejects.toSatisfy(err => isZeroStateError(err, 'AUCTION_FAILED'))
    await base.spawnAgent({ name: 'unpriced', capabilities: ['job'], handle: () => 1 })
    await base.spawnAgent({ name: 'dear', capabilities: ['job'], price: 50, handle: () => 1 })
    const err: unknown = await discovery.auction({ capability: 'job', task: 1, windowMs: 50, maxPrice: 10 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'AUCTION_FAILED')).toBe(true)
    expect((err as ZeroStateError).details).toMatchObject({ invited: 2, bids: [{ agentId: `${base.did}#dear`, price: 50 }] })
    expect(await base.metrics()).toMatch(/zerostate_auctions_total\{outcome="no_bids"\} 2/)
  })

  it('a winner reporting a cost above its bid fails with COST_EXCEEDS_BID carrying the output', async () => {
    const { base, discovery } = await oneNode()
    await base.spawnAgent({ name: 'greedy', capabilities: ['job'], price: 1, handle: (_t, ctx) => { ctx.reportCost(4); return 'work' } })
    const err: unknown = await discovery.auction({ capability: 'job', task: null, windowMs: 50 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'COST_EXCEEDS_BID')).toBe(true)
    expect((err as ZeroStateError).details).toMatchObject({ agentId: `${base.did}#greedy`, bid: 1, cost: 4, output: 'work' })
  })

  it('a winner that is gone when awarded gives way to the next bid', async () => {
    const { base, discovery } = await oneNode()
    let vanishing: AgentHandle | undefined
    vanishing = await base.spawnAgent({ name: 'vanishing', capabilities: ['job'], bid: () => { void vanishing?.stop(); return { price: 0, etaMs: 0 } }, handle: () => 'never' })
    await base.spawnAgent({ name: 'steady', capabilities: ['job'], price: 2, handle: () => 'done' })
    const result = await discovery.auction({ capability: 'job', task: null, windowMs: 100 })
    expect(result).toMatchObject({ output: 'done', winner: { agentId: `${base.did}#steady` } })
    expect(result.bids.map(b => b.price)).toEqual([0, 2])
  })

  it('the auction strategy of bus.request awards the cheapest bid within the budget', async () => {
    const { base } = await oneNode()
    await base.spawnAgent({ name: 'cheap', capabilities: ['job'], price: 1, handle: () => 'cheap' })
    await base.spawnAgent({ name: 'dear', capabilities: ['job'], price: 9, handle: () => 'dear' })
    expect(await base.bus.request({ capability: 'job', strategy: 'auction' }, null)).toBe('cheap')
    expect(await base.bus.request({ capability: 'job', strategy: 'auction', exclude: [`${base.did}#cheap`] }, null, { budget: 10 })).toBe('dear')
    await expect(base.bus.request({ capability: 'job', strategy: 'auction', exclude: [`${base.did}#cheap`] }, null, { budget: 5 }))
      .rejects.toSatisfy(err => isZeroStateError(err, 'AUCTION_FAILED'))
  })

  it('a registered custom selector is used by name', async () => {
    const { base, discovery } = await oneNode()
    await base.spawnAgent({ name: 'a', capabilities: ['job'], price: 5, handle: () => 'a' })
    await base.spawnAgent({ name: 'b', capabilities: ['job'], price: 1, handle: () => 'b' })
    discovery.registerSelector('cheapest', candidates => [...candidates].sort((x, y) => (x.price ?? Infinity) - (y.price ?? Infinity))[0])
    expect(await base.bus.request({ capability: 'job', strategy: 'cheapest' }, null)).toBe('b')
  })

  it('refuses a bidding window out of range', async () => {
    const { discovery } = await oneNode()
    await expect(discovery.auction({ capability: 'job', task: null, windowMs: 0 })).rejects.toSatisfy(err => isZeroStateError(err, 'INVALID_ARGUMENT'))
    await expect(discovery.auction({ capability: 'job', task: null, windowMs: 120_000 })).rejects.toSatisfy(err => isZeroStateError(err, 'INVALID_ARGUMENT'))
  })
})
