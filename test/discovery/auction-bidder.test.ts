import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { AgentSpec } from '../../src/agent-types.ts'
import { answerCallForProposals, defaultBid, type BiddingAgent, type CfpPayload } from '../../src/discovery/auction-bidder.ts'
import { rankBids, type AuctionBid } from '../../src/discovery/auctioneer.ts'
import type { AgentMessage } from '../../src/envelope-types.ts'
import { isZeroStateError } from '../../src/errors.ts'

const NODE = 'did:key:z6MkNode'
const logger = pino({ level: 'silent' })

function cfp (agents: string[], overrides: Partial<CfpPayload> = {}): AgentMessage {
  const payload: CfpPayload = { auctionId: 'a1', capability: 'render', task: { scene: 1 }, agents, windowMs: 100, ...overrides }
  return { id: 'x', correlationId: 'x', type: 'NEGOTIATION', delivery: 'BEST_EFFORT', timestamp: 0, ttl: 100, priority: 0, from: 'did:key:z6MkAuctioneer', to: `${NODE}#_auction`, replyTo: 'did:key:z6MkAuctioneer', payload }
}

function registry (specs: AgentSpec[]): (id: string) => BiddingAgent | undefined {
  const byId = new Map(specs.map(spec => [`${NODE}#${spec.name}`, { id: `${NODE}#${spec.name}`, spec }]))
  return id => byId.get(id)
}

const ids = (...names: string[]): string[] => names.map(n => `${NODE}#${n}`)

describe('answering a call for proposals', () => {
  it('the default bid is the price with etaMs 0, or a decline without a price', () => {
    expect(defaultBid({ name: 'a', price: 3 })).toEqual({ price: 3, etaMs: 0 })
    expect(defaultBid({ name: 'a' })).toBeNull()
  })

  it('collects the bids of the named agents that offer the capability', async () => {
    const seen: unknown[] = []
    const agents = registry([
      { name: 'priced', capabilities: ['render'], price: 4 },
      { name: 'custom', capabilities: ['render'], bid: cfp => { seen.push(cfp); return { price: 2, etaMs: 50 } } },
      { name: 'unpriced', capabilities: ['render'] },
      { name: 'other', capabilities: ['ocr'], price: 1 },
      { name: 'unasked', capabilities: ['render'], price: 0 }
    ])
    const answer = await answerCallForProposals(cfp(ids('priced', 'custom', 'unpriced', 'other', 'missing')), agents, logger)
    expect(answer.bids.sort((a, b) => a.price - b.price)).toEqual([
      { agentId: `${NODE}#custom`, price: 2, etaMs: 50 },
      { agentId: `${NODE}#priced`, price: 4, etaMs: 0 }
    ])
    expect(seen).toEqual([{ auctionId: 'a1', capability: 'render', task: { scene: 1 }, from: 'did:key:z6MkAuctioneer' }])
  })

  it('an agent whose bid throws, is malformed, or comes too late declines', async () => {
    const agents = registry([
      { name: 'thrower', capabilities: ['render'], bid: () => { throw new Error('no') } },
      { name: 'nan', capabilities: ['render'], bid: () => ({ price: Number.NaN, etaMs: 0 }) },
      { name: 'late', capabilities: ['render'], bid: async () => await new Promise(resolve => { setTimeout(() => { resolve({ price: 1, etaMs: 0 }) }, 500) }) },
      { name: 'async', capabilities: ['render'], bid: async () => ({ price: 9, etaMs: 1 }) }
    ])
    const answer = await answerCallForProposals(cfp(ids('thrower', 'nan', 'late', 'async'), { windowMs: 50 }), agents, logger)
    expect(answer.bids).toEqual([{ agentId: `${NODE}#async`, price: 9, etaMs: 1 }])
  })

  it('refuses a malformed call for proposals', async () => {
    const msg = cfp([], { windowMs: -1 })
    await expect(answerCallForProposals(msg, registry([]), logger)).rejects.toSatisfy(err => isZeroStateError(err, 'INVALID_ARGUMENT'))
  })
})

describe('rankBids', () => {
  const bid = (agentId: string, price: number, etaMs: number): AuctionBid => ({ agentId, nodeDid: NODE, price, etaMs })

  it('orders by price, then ETA, then agent id, and drops bids above the maximum price', () => {
    const bids = [bid('d', 3, 0), bid('c', 1, 5), bid('b', 1, 5), bid('a', 1, 9), bid('e', 0.5, 100)]
    expect(rankBids(bids).map(b => b.agentId)).toEqual(['e', 'b', 'c', 'a', 'd'])
    expect(rankBids(bids, 1).map(b => b.agentId)).toEqual(['e', 'b', 'c', 'a'])
    expect(rankBids(bids, 0.1)).toEqual([])
  })
})
