/**
 * The `auction` strategy: a capability request runs a short auction among
 * the candidates and goes to the best bid; the winner's reported cost may
 * not exceed its bid (`COST_EXCEEDS_BID`). The request's budget, when given,
 * is the highest acceptable price.
 */
import { ZeroStateError } from '../errors.ts'
import { rankBids, type Auctioneer } from './auctioneer.ts'
import type { DiscoveryMetrics } from './discovery-metrics.ts'
import type { AgentSelector } from './selectors.ts'

/**
 * Build the `auction` selector over `auctioneer`, collecting bids for `windowMs`.
 *
 * @example
 * ```ts
 * selectors.register('auction', createAuctionSelector(auctioneer, metrics, 200))
 * await node.bus.request({ capability: 'render', strategy: 'auction' }, scene, { budget: 10 })
 * ```
 */
export function createAuctionSelector (auctioneer: Auctioneer, metrics: DiscoveryMetrics, windowMs: number): AgentSelector {
  return async (candidates, ctx) => {
    const { auctionId, bids } = await auctioneer.collectBids(candidates, {
      capability: ctx.target.capability,
      task: ctx.task,
      windowMs,
      ...(ctx.budget === undefined ? {} : { maxPrice: ctx.budget }),
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal })
    })
    const best = rankBids(bids, ctx.budget)[0]
    if (best === undefined) {
      metrics.auctions.inc({ outcome: 'no_bids' })
      throw new ZeroStateError('AUCTION_FAILED', `no acceptable bid for ${ctx.target.capability} within ${windowMs} ms (${bids.length} bids, ${candidates.length} invited)`, {
        details: { auctionId, capability: ctx.target.capability, invited: candidates.length, bids: bids.map(b => ({ ...b })) }
      })
    }
    metrics.auctions.inc({ outcome: 'awarded' })
    metrics.auctionAwards.inc()
    ctx.limitCost(best.price)
    return candidates.find(c => c.id === best.agentId)
  }
}
