/**
 * The bidding side of an auction: the node service `<did>#_auction` answers
 * a NEGOTIATION call for proposals with the bids of the node's agents that
 * were asked (each agent's `bid(cfp)`, or by default its `price` with etaMs 0
 * when it has one). Bids not ready in time are left out.
 */
import type { Logger } from 'pino'
import type { AgentSpec, Bid, CallForProposals } from '../agent-types.ts'
import type { AgentMessage } from '../envelope-types.ts'
import { ZeroStateError } from '../errors.ts'

/** The node service name (`<node did>#_auction`). */
export const AUCTION_SERVICE = 'auction'

/** The part of the answering window a bidder node uses, so its answer arrives in time. */
const BIDDING_SHARE = 0.8
/** Longest bidding window, ms. */
export const MAX_WINDOW_MS = 60_000
/** Most agents one call for proposals may name. */
const MAX_AGENTS_PER_CFP = 10_000

/** A call for proposals as it travels to one node. */
export interface CfpPayload {
  auctionId: string
  capability: string
  task: unknown
  maxPrice?: number
  /** The agents of the receiving node that are asked to bid. */
  agents: string[]
  /** How long the auctioneer collects bids, ms. */
  windowMs: number
}

/** One node's answer: the bids of its agents. */
export interface BidsPayload {
  bids: Array<{ agentId: string, price: number, etaMs: number }>
}

/** A local agent as the bidder sees it. */
export interface BiddingAgent {
  id: string
  spec: AgentSpec
}

/** The default bid: the announced price with etaMs 0, or a decline when the agent has no price. */
export function defaultBid (spec: AgentSpec): Bid | null {
  return spec.price === undefined ? null : { price: spec.price, etaMs: 0 }
}

/** True for a well-formed bid (finite price and ETA, both >= 0). */
export function isValidBid (bid: unknown): bid is Bid {
  if (typeof bid !== 'object' || bid === null) return false
  const { price, etaMs } = bid as Record<string, unknown>
  return typeof price === 'number' && Number.isFinite(price) && price >= 0 &&
    typeof etaMs === 'number' && Number.isFinite(etaMs) && etaMs >= 0
}

/**
 * Answer one call for proposals with the bids of the local agents it names.
 *
 * @example
 * ```ts
 * core.registerService(AUCTION_SERVICE, msg => answerCallForProposals(msg, id => agents.get(id), logger))
 * ```
 */
export async function answerCallForProposals (
  msg: AgentMessage,
  agentOf: (id: string) => BiddingAgent | undefined,
  logger: Logger
): Promise<BidsPayload> {
  const cfp = parseCfp(msg.payload)
  const proposal: CallForProposals = {
    auctionId: cfp.auctionId,
    capability: cfp.capability,
    task: cfp.task,
    from: msg.from,
    ...(cfp.maxPrice === undefined ? {} : { maxPrice: cfp.maxPrice })
  }
  const bidders = [...new Set(cfp.agents)]
    .map(agentOf)
    .filter((a): a is BiddingAgent => a !== undefined && (a.spec.capabilities ?? []).includes(cfp.capability))
  const bids: BidsPayload['bids'] = []
  let timer: NodeJS.Timeout | undefined
  const closed = new Promise<void>(resolve => { timer = setTimeout(resolve, Math.max(1, cfp.windowMs * BIDDING_SHARE)) })
  await Promise.race([
    closed,
    Promise.allSettled(bidders.map(async agent => {
      const bid = await bidOf(agent, proposal, logger)
      if (bid !== null) bids.push({ agentId: agent.id, price: bid.price, etaMs: bid.etaMs })
    }))
  ])
  clearTimeout(timer)
  return { bids: [...bids] }
}

async function bidOf (agent: BiddingAgent, cfp: CallForProposals, logger: Logger): Promise<Bid | null> {
  if (agent.spec.bid === undefined) return defaultBid(agent.spec)
  let bid: unknown
  try {
    bid = await agent.spec.bid({ ...cfp })
  } catch (err) {
    logger.debug({ err, agent: agent.id, auction: cfp.auctionId }, 'bid() threw; the agent declines')
    return null
  }
  if (bid === null || bid === undefined) return null
  if (!isValidBid(bid)) {
    logger.warn({ agent: agent.id, auction: cfp.auctionId }, 'bid() returned a malformed bid (needs finite price and etaMs >= 0); the agent declines')
    return null
  }
  return { price: bid.price, etaMs: bid.etaMs }
}

function parseCfp (payload: unknown): CfpPayload {
  if (typeof payload !== 'object' || payload === null) throw badCfp('not a map')
  const { auctionId, capability, task, maxPrice, agents, windowMs } = payload as Record<string, unknown>
  if (typeof auctionId !== 'string' || auctionId.length === 0 || auctionId.length > 64) throw badCfp('auctionId')
  if (typeof capability !== 'string' || capability.length === 0) throw badCfp('capability')
  if (maxPrice !== undefined && (typeof maxPrice !== 'number' || Number.isNaN(maxPrice))) throw badCfp('maxPrice')
  if (!Array.isArray(agents) || agents.length > MAX_AGENTS_PER_CFP || !agents.every(a => typeof a === 'string')) throw badCfp('agents')
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0 || windowMs > MAX_WINDOW_MS) throw badCfp('windowMs')
  return { auctionId, capability, task, agents: agents as string[], windowMs, ...(maxPrice === undefined ? {} : { maxPrice: maxPrice as number }) }
}

function badCfp (field: string): ZeroStateError {
  return new ZeroStateError('INVALID_ARGUMENT', `malformed call for proposals (${field})`)
}
