import { describe, expect, it, vi } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import type { ZeroStateNode } from '../../src/index.ts'
import { meshesStoppedAfterAll, metricValue } from '../helpers/mesh.ts'
import { partition } from '../helpers/partition.ts'

const { mesh } = meshesStoppedAfterAll()

async function codeOf (promise: Promise<unknown>): Promise<string> {
  try { await promise } catch (err) { return isZeroStateError(err) ? err.code : `untyped: ${String(err)}` }
  return 'resolved'
}

describe('auctions under faults', () => {
  it('a bidder whose bid throws, one that never bids in time and a partitioned bidder node decline; the auction ends within its window', async () => {
    const [a, b, c] = await mesh(3) as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
    const work = (name: string) => (t: unknown) => `${name}:${String(t)}`
    await b.spawnAgent({ name: 'thrower', capabilities: ['render'], bid: () => { throw new Error('no bid today') }, handle: work('thrower') })
    await b.spawnAgent({ name: 'hanger', capabilities: ['render'], bid: async () => await new Promise(() => {}), handle: work('hanger') })
    await b.spawnAgent({ name: 'honest', capabilities: ['render'], price: 5, handle: work('honest') })
    const cheap = await c.spawnAgent({ name: 'cheap', capabilities: ['render'], price: 1, handle: work('cheap') })
    await vi.waitFor(() => { expect(a.directory.find('render')).toHaveLength(4) })
    await partition(a, c) // c's cheap agent is still in a's directory (its heartbeats come through b)
    expect(a.directory.get(cheap.id)).toBeDefined()
    const t0 = Date.now()
    const result = await a.auction({ capability: 'render', task: 7, windowMs: 300, timeout: 2000 })
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(result.output).toBe('honest:7')
    expect(result.bids.map(bid => bid.agentId)).toEqual([result.winner.agentId])
  })

  // The award used to go to the stopped node anyway and wait for the whole timeout (TIMEOUT, auction failed).
  it('a winner whose node stops before the award: the next bid gets the task, promptly', async () => {
    const [a, b, c] = await mesh(3) as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
    const cheap = await b.spawnAgent({ name: 'cheap', capabilities: ['render'], price: 1, handle: () => 'b' })
    // c bids only once b has gone: b's bid has reached the auctioneer, b is stopped before the award.
    await c.spawnAgent({
      name: 'dear',
      capabilities: ['render'],
      bid: async () => {
        await new Promise(resolve => { setTimeout(resolve, 100) })
        await b.stop({ timeout: 0 })
        await vi.waitFor(() => { expect(a.directory.get(cheap.id)).toBeUndefined() }) // its goodbye has arrived
        return { price: 2, etaMs: 0 }
      },
      handle: () => 'c'
    })
    await vi.waitFor(() => { expect(a.directory.find('render')).toHaveLength(2) })
    const t0 = Date.now()
    const result = await a.auction({ capability: 'render', task: 1, windowMs: 1000, timeout: 20_000 })
    expect(result.bids.map(bid => bid.price)).toEqual([1, 2])
    expect(result.output).toBe('c')
    expect(result.winner.price).toBe(2)
    expect(Date.now() - t0).toBeLessThan(3000)
  })

  it('an auction whose signal is aborted mid-window fails with ABORTED at once', async () => {
    const [a, b] = await mesh(2) as [ZeroStateNode, ZeroStateNode]
    let ran = 0
    await b.spawnAgent({ name: 'slowbid', capabilities: ['render'], bid: async () => { await new Promise(resolve => { setTimeout(resolve, 1500) }); return { price: 1, etaMs: 0 } }, handle: () => ++ran })
    await vi.waitFor(() => { expect(a.directory.find('render')).toHaveLength(1) })
    const controller = new AbortController()
    const t0 = Date.now()
    const pending = codeOf(a.auction({ capability: 'render', task: 1, windowMs: 2000, signal: controller.signal }))
    setTimeout(() => { controller.abort() }, 100)
    expect(await pending).toBe('ABORTED')
    expect(Date.now() - t0).toBeLessThan(600)
    expect(await metricValue(a, 'zerostate_auctions_total', { outcome: 'aborted' })).toBe(1)
    expect(ran).toBe(0)
  })
})
