/**
 * Contract-net auctions, the auctioneer's side: a NEGOTIATION call for
 * proposals to each node hosting candidates, bids collected within the
 * window, the lowest acceptable bid wins (ties: lower ETA, then agent id),
 * the winner gets the task by REQUEST/RESPONSE and its reported cost is
 * settled against its bid.
 */
import type { Logger } from 'pino'
import type { MessageBus, Reply } from '../bus-types.ts'
import type { AgentMessage } from '../envelope-types.ts'
import { AbortedError, ZeroStateError, isZeroStateError } from '../errors.ts'
import type { RouterCore } from '../messaging/router-core.ts'
import type { AgentDirectory, DirectoryEntry } from './agent-directory.ts'
import { AUCTION_SERVICE, MAX_WINDOW_MS, isValidBid, type BidsPayload, type CfpPayload } from './auction-bidder.ts'
import { candidatesFor, checkTarget, isAgentGone } from './capability-caller.ts'
import type { AuctionOutcome, DiscoveryMetrics } from './discovery-metrics.ts'
import type { InFlightRequests } from './in-flight.ts'

/** One bid as the auctioneer received it. */
export interface AuctionBid {
  agentId: string
  nodeDid: string
  price: number
  etaMs: number
}

/** Options of {@link Auctioneer.auction}. */
export interface AuctionOptions {
  capability: string
  /** Further capabilities bidders must offer. */
  capabilities?: string[]
  /** Agents not to invite (unless no other agent qualifies). */
  exclude?: string[]
  /** The task: shown to bidders in the call for proposals, then sent to the winner. */
  task: unknown
  /** How long bids are collected, ms (at most 60 000). */
  windowMs: number
  /** Bids above this price are not accepted. */
  maxPrice?: number
  /** Budget handed to the winner's task (`ctx.budget`). */
  budget?: number
  /** Milliseconds the winner has to answer. Default 30 000. */
  timeout?: number
  signal?: AbortSignal
}

/** What an awarded auction returns. */
export interface AuctionResult<T = unknown> {
  auctionId: string
  /** The bid that won (and was executed). */
  winner: AuctionBid
  /** Every bid received, lowest first. */
  bids: AuctionBid[]
  output: T
  /** The cost the winner reported (at most its bid). */
  cost: number
}

export interface Auctioneer {
  /**
   * Run one auction and execute the task on the winner. Fails with
   * `AUCTION_FAILED` when no acceptable bid arrives, `COST_EXCEEDS_BID`
   * (output in `details.output`) when the winner reports more than it bid.
   *
   * @example
   * ```ts
   * const { winner, output, cost } = await node.auction({ capability: 'render', task: { scene: 3 }, windowMs: 200, maxPrice: 10 })
   * ```
   */
  auction: <T = unknown>(options: AuctionOptions) => Promise<AuctionResult<T>>
  /** Invite `candidates` and collect their bids within `windowMs` (no award). Ranked best first. */
  collectBids: (candidates: readonly DirectoryEntry[], cfp: { capability: string, task: unknown, maxPrice?: number, windowMs: number, signal?: AbortSignal }) => Promise<{ auctionId: string, bids: AuctionBid[] }>
}

export interface AuctioneerInit {
  core: RouterCore
  /** The node's DID (auctions are sent as the node). */
  did: string
  directory: AgentDirectory
  /** Bus sending as the node; the award goes through it. */
  bus: MessageBus
  inFlight: InFlightRequests
  metrics: DiscoveryMetrics
  logger: Logger
  now?: () => number
}

/**
 * Sort bids best first: lowest price, then lowest ETA, then agent id; bids
 * above `maxPrice` are dropped.
 */
export function rankBids (bids: readonly AuctionBid[], maxPrice?: number): AuctionBid[] {
  return bids
    .filter(bid => maxPrice === undefined || bid.price <= maxPrice)
    .sort((a, b) => a.price - b.price || a.etaMs - b.etaMs || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))
}

/** Create the auctioneer of a node. */
export function createAuctioneer (init: AuctioneerInit): Auctioneer {
  const { core, did, directory, bus, inFlight, metrics, logger } = init
  const now = init.now ?? Date.now

  const collectBids: Auctioneer['collectBids'] = async (candidates, cfp) => {
    const auctionId = core.ids.next()
    const byNode = new Map<string, string[]>()
    for (const candidate of candidates) {
      const ids = byNode.get(candidate.nodeDid)
      if (ids === undefined) byNode.set(candidate.nodeDid, [candidate.id])
      else ids.push(candidate.id)
    }
    const answers = await Promise.allSettled([...byNode].map(async ([nodeDid, agents]) => {
      const payload: CfpPayload = {
        auctionId,
        capability: cfp.capability,
        task: cfp.task,
        agents,
        windowMs: cfp.windowMs,
        ...(cfp.maxPrice === undefined ? {} : { maxPrice: cfp.maxPrice })
      }
      const windowMs = Math.ceil(cfp.windowMs)
      const reply = await core.call(negotiation(nodeDid, payload, windowMs), windowMs, cfp.signal)
      return bidsFrom(reply, nodeDid, new Set(agents))
    }))
    if (cfp.signal?.aborted === true) throw new AbortedError('auction aborted', { cause: cfp.signal.reason })
    const bids: AuctionBid[] = []
    for (const answer of answers) {
      if (answer.status === 'fulfilled') bids.push(...answer.value)
      else logger.debug({ err: answer.reason, auction: auctionId }, 'a node did not answer the call for proposals in time')
    }
    metrics.auctionBids.inc(bids.length)
    return { auctionId, bids: rankBids(bids) }
  }

  const negotiation = (nodeDid: string, payload: CfpPayload, windowMs: number): AgentMessage => {
    const id = core.ids.next()
    return {
      id,
      correlationId: id,
      type: 'NEGOTIATION',
      delivery: 'BEST_EFFORT',
      timestamp: now(),
      ttl: windowMs,
      priority: 0,
      from: did,
      to: `${nodeDid}#_${AUCTION_SERVICE}`,
      replyTo: did,
      payload
    }
  }

  const auction = async <T>(options: AuctionOptions): Promise<AuctionResult<T>> => {
    checkOptions(options)
    let outcome: AuctionOutcome = 'failed'
    try {
      const candidates = candidatesFor(directory, options)
      const { auctionId, bids } = await collectBids(candidates, options)
      const ranked = rankBids(bids, options.maxPrice)
      if (ranked.length === 0) {
        outcome = 'no_bids'
        throw new ZeroStateError('AUCTION_FAILED', candidates.length === 0
          ? `no live agent offers ${options.capability}`
          : `no acceptable bid for ${options.capability} within ${options.windowMs} ms (${bids.length} bids, ${candidates.length} invited)`, {
          details: { auctionId, capability: options.capability, invited: candidates.length, bids: bids.map(b => ({ ...b })) }
        })
      }
      let lastGone: unknown
      for (const bid of ranked) {
        if (directory.get(bid.agentId) === undefined) {
          // Its node said goodbye (or went silent) during the window: a request would only wait for the timeout.
          lastGone = new ZeroStateError('AGENT_NOT_FOUND', `bidder ${bid.agentId} left the directory before the award`)
          continue
        }
        metrics.auctionAwards.inc()
        const done = inFlight.begin(bid.agentId, now())
        let reply: Reply<T>
        try {
          reply = await bus.call<T>(bid.agentId, options.task, {
            ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
            ...(options.budget === undefined ? {} : { budget: options.budget }),
            ...(options.signal === undefined ? {} : { signal: options.signal })
          })
        } catch (err) {
          if (!isAgentGone(err)) throw err
          lastGone = err
          continue
        } finally {
          done()
        }
        if (reply.cost > bid.price) {
          outcome = 'cost_exceeded'
          throw new ZeroStateError('COST_EXCEEDS_BID', `agent ${bid.agentId} reported cost ${reply.cost} above its bid ${bid.price}`, {
            details: { auctionId, agentId: bid.agentId, bid: bid.price, cost: reply.cost, output: reply.payload }
          })
        }
        outcome = 'awarded'
        return { auctionId, winner: bid, bids, output: reply.payload, cost: reply.cost }
      }
      throw new ZeroStateError('AUCTION_FAILED', `every bidder for ${options.capability} was gone when awarded`, {
        ...(lastGone === undefined ? {} : { cause: lastGone }),
        details: { auctionId, capability: options.capability, bids: ranked.map(b => ({ ...b })) }
      })
    } catch (err) {
      if (isZeroStateError(err, 'ABORTED')) outcome = 'aborted'
      throw err
    } finally {
      metrics.auctions.inc({ outcome })
    }
  }

  return { auction, collectBids }
}

/** Bids of one node's answer, keeping only well-formed bids of the agents it was asked about. */
function bidsFrom (reply: Reply, nodeDid: string, invited: ReadonlySet<string>): AuctionBid[] {
  const payload = reply.payload as Partial<BidsPayload> | undefined
  if (typeof payload !== 'object' || payload === null || !Array.isArray(payload.bids)) return []
  const out: AuctionBid[] = []
  const seen = new Set<string>()
  for (const bid of payload.bids as unknown[]) {
    if (!isValidBid(bid)) continue
    const agentId = (bid as { agentId?: unknown }).agentId
    if (typeof agentId !== 'string' || !invited.has(agentId) || seen.has(agentId)) continue
    seen.add(agentId)
    out.push({ agentId, nodeDid, price: bid.price, etaMs: bid.etaMs })
  }
  return out
}

function checkOptions (options: AuctionOptions): void {
  checkTarget(options)
  const { windowMs, maxPrice } = options
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0 || windowMs > MAX_WINDOW_MS) {
    throw new ZeroStateError('INVALID_ARGUMENT', `windowMs must be a number of milliseconds in (0, ${MAX_WINDOW_MS}]`)
  }
  if (maxPrice !== undefined && (typeof maxPrice !== 'number' || Number.isNaN(maxPrice))) {
    throw new ZeroStateError('INVALID_ARGUMENT', 'maxPrice must be a number')
  }
}
