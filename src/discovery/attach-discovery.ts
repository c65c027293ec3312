/**
 * Wires discovery into a node: heartbeats and the directory, selection by
 * capability (installed as the node's CapabilityCaller), and auctions (the
 * `_auction` bidding service plus the auctioneer).
 *
 * @example
 * ```ts
 * const base = await createBaseNode(init)
 * const discovery = attachDiscovery(base, { heartbeatMs: init.heartbeatMs })
 * const node = { ...base, directory: discovery.directory, auction: discovery.auction }
 * await node.bus.request({ capability: 'translate' }, { text: 'hej' })
 * ```
 */
import type { SubscriptionChangeData } from '@libp2p/interface'
import { ZeroStateError } from '../errors.ts'
import { BROADCAST_TOPIC } from '../net/topics.ts'
import type { BaseNode } from '../node/create-node.ts'
import { DirectoryTable, type AgentDirectory, type DirectoryEntry } from './agent-directory.ts'
import { AUCTION_SERVICE, answerCallForProposals } from './auction-bidder.ts'
import { createAuctionSelector } from './auction-selector.ts'
import { createAuctioneer, type Auctioneer } from './auctioneer.ts'
import { createCapabilityCaller } from './capability-caller.ts'
import { createDiscoveryMetrics } from './discovery-metrics.ts'
import type { AgentLoad } from './heartbeat.ts'
import { Heartbeats, type LocalAgent } from './heartbeats.ts'
import { InFlightRequests } from './in-flight.ts'
import { PeerDialer } from './peer-dialer.ts'
import { createSelectorRegistry, type SelectorRegistry } from './selectors.ts'

export interface DiscoveryInit {
  /** Heartbeat interval, ms. Default 1000. */
  heartbeatMs?: number
  /** Heartbeats a node may miss before its agents leave the directory. Default 3. */
  missedHeartbeats?: number
  /** Bidding window of the `auction` strategy, ms. Default 200. */
  auctionWindowMs?: number
  /** Uniform random numbers in [0, 1) for the `random` strategy and tie-breaks. Default `Math.random`. */
  random?: () => number
}

/** What discovery adds to a node. */
export interface NodeDiscovery {
  /** Live agents of this node and the mesh (`node.directory`). */
  readonly directory: AgentDirectory
  /** Run a contract-net auction and execute the task on the winner (`node.auction`). */
  readonly auction: Auctioneer['auction']
  /** Selection strategies by name; `selectors.register(name, selector)` adds a custom one. */
  readonly selectors: SelectorRegistry
  /** Add (or replace) a selection strategy; same as `selectors.register`. Returns a function that removes it. */
  readonly registerSelector: SelectorRegistry['register']
  /** Say goodbye to the mesh and stop (also runs when the node stops). */
  close: () => Promise<void>
}

/**
 * Attach discovery to a node. Attach it before spawning agents: agents
 * spawned earlier are not announced.
 */
export function attachDiscovery (base: BaseNode, init: DiscoveryInit = {}): NodeDiscovery {
  const heartbeatMs = init.heartbeatMs ?? 1000
  const missedHeartbeats = init.missedHeartbeats ?? 3
  const auctionWindowMs = init.auctionWindowMs ?? 200
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 10 || heartbeatMs > 60_000) throw new ZeroStateError('INVALID_ARGUMENT', 'heartbeatMs must be an integer in [10, 60000]')
  if (!Number.isInteger(missedHeartbeats) || missedHeartbeats < 1) throw new ZeroStateError('INVALID_ARGUMENT', 'missedHeartbeats must be an integer >= 1')
  if (!Number.isFinite(auctionWindowMs) || auctionWindowMs <= 0) throw new ZeroStateError('INVALID_ARGUMENT', 'auctionWindowMs must be a positive number')

  const { core, addresses, libp2p } = base.internals
  const logger = base.logger.child({ service: 'discovery' })
  const metrics = createDiscoveryMetrics(base.registry)
  const table = new DirectoryTable({ missedHeartbeats, onListenerError: err => { logger.warn({ err }, 'directory listener threw') } })
  table.on('change', ({ type, entry }) => {
    const location = entry.local ? 'local' : 'remote'
    if (type === 'added') metrics.directoryAgents.inc({ location })
    else if (type === 'removed') metrics.directoryAgents.dec({ location })
  })
  const agents = new Map<string, LocalAgent>()
  const inFlight = new InFlightRequests()
  const dialer = new PeerDialer({ host: libp2p, metrics, logger, dialTimeoutMs: 5000, retryMs: 2 * heartbeatMs })
  const heartbeats = new Heartbeats({
    core,
    addresses,
    did: base.did,
    agents,
    multiaddrs: () => libp2p.getMultiaddrs().map(String),
    table,
    dialer,
    onGoodbye: peerId => { base.internals.bridge.nodeLeft(peerId) },
    metrics,
    logger,
    heartbeatMs,
    missedHeartbeats
  })

  const offAgent = base.internals.onAgent(event => {
    if (event.type === 'spawned') agents.set(event.id, { id: event.id, spec: event.spec, runtime: event.runtime })
    else agents.delete(event.id)
    heartbeats.changed()
  })
  if (base.internals.agents.size > 0) logger.warn({ agents: base.internals.agents.size }, 'discovery attached after agents were spawned; they are not announced')

  const offService = core.registerService(AUCTION_SERVICE, async msg => await answerCallForProposals(msg, id => agents.get(id), logger))

  const load = (entry: DirectoryEntry): AgentLoad => {
    if (entry.local) {
      const agent = agents.get(entry.id)
      if (agent !== undefined) return agent.runtime.load()
    }
    const extra = inFlight.sentSince(entry.id, entry.lastSeen)
    return extra === 0 ? entry.load : { ...entry.load, queued: entry.load.queued + extra }
  }

  const auctioneer = createAuctioneer({ core, did: base.did, directory: table, bus: base.bus, inFlight, metrics, logger })
  const selectors = createSelectorRegistry({ auction: createAuctionSelector(auctioneer, metrics, auctionWindowMs) })
  base.internals.setCapabilityCaller(createCapabilityCaller({
    directory: table,
    selectors,
    inFlight,
    load,
    metrics,
    forget: id => { if (!table.get(id)?.local) table.remove(id) },
    ...(init.random === undefined ? {} : { random: init.random })
  }))
  heartbeats.start()
  // A peer that just joined the broadcast topic has missed our announcements: repeat them now, not at the next tick.
  const onSubscriptionChange = (event: CustomEvent<SubscriptionChangeData>): void => {
    if (event.detail.subscriptions.some(sub => sub.subscribe && sub.topic === BROADCAST_TOPIC)) heartbeats.changed()
  }
  libp2p.services.pubsub.addEventListener('subscription-change', onSubscriptionChange)

  let closing: Promise<void> | undefined
  const close = async (): Promise<void> => {
    closing ??= (async () => {
      offAgent()
      offService()
      libp2p.services.pubsub.removeEventListener('subscription-change', onSubscriptionChange)
      dialer.close()
      await heartbeats.close()
    })()
    await closing
  }
  base.internals.onStop(close)

  return { directory: table, auction: auctioneer.auction, selectors, registerSelector: selectors.register, close }
}
