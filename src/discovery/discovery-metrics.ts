/**
 * Prometheus metrics of discovery, selection and auctions, registered on a
 * registry handed in. Create one object per node: prom-client refuses to
 * register a metric name twice on the same registry.
 */
import { Counter, Gauge, type Registry } from 'prom-client'

/** How an auction ended. */
export type AuctionOutcome = 'awarded' | 'no_bids' | 'cost_exceeded' | 'failed' | 'aborted'

/** The discovery metrics of one node. */
export interface DiscoveryMetrics {
  /** `zerostate_directory_agents{location}`: live agents in the directory (`local` or `remote`). */
  directoryAgents: Gauge<'location'>
  /** `zerostate_directory_nodes`: nodes with live heartbeats (this one included). */
  directoryNodes: Gauge
  /** `zerostate_directory_expired_total`: agents dropped because their node's heartbeats stopped. */
  directoryExpired: Counter
  /** `zerostate_heartbeats_sent_total` */
  heartbeatsSent: Counter
  /** `zerostate_heartbeats_received_total{outcome}`: applied, stale, or rejected (malformed, wrong_node, too_large). */
  heartbeatsReceived: Counter<'outcome'>
  /** `zerostate_discovery_dials_total{outcome}`: dials to nodes learnt from heartbeats. */
  dials: Counter<'outcome'>
  /** `zerostate_selections_total{strategy,outcome}`: capability requests (sent, no_agent, error). */
  selections: Counter<'strategy' | 'outcome'>
  /** `zerostate_selection_retries_total`: another candidate tried because the chosen agent was gone. */
  selectionRetries: Counter
  /** `zerostate_auctions_total{outcome}` */
  auctions: Counter<'outcome'>
  /** `zerostate_auction_bids_total`: bids received by this node's auctions. */
  auctionBids: Counter
  /** `zerostate_auction_awards_total`: tasks this node's auctions awarded (a re-award after a vanished winner counts again). */
  auctionAwards: Counter
}

/**
 * Register the discovery metrics on `registry`.
 *
 * @example
 * ```ts
 * const metrics = createDiscoveryMetrics(node.registry)
 * metrics.auctions.inc({ outcome: 'awarded' })
 * ```
 */
export function createDiscoveryMetrics (registry: Registry): DiscoveryMetrics {
  const registers = [registry]
  return {
    directoryAgents: new Gauge({ name: 'zerostate_directory_agents', help: 'Live agents in the directory', labelNames: ['location'], registers }),
    directoryNodes: new Gauge({ name: 'zerostate_directory_nodes', help: 'Nodes with live heartbeats', registers }),
    directoryExpired: new Counter({ name: 'zerostate_directory_expired_total', help: 'Agents dropped because their node stopped sending heartbeats', registers }),
    heartbeatsSent: new Counter({ name: 'zerostate_heartbeats_sent_total', help: 'Heartbeats this node broadcast', registers }),
    heartbeatsReceived: new Counter({ name: 'zerostate_heartbeats_received_total', help: 'Heartbeats received, by outcome', labelNames: ['outcome'], registers }),
    dials: new Counter({ name: 'zerostate_discovery_dials_total', help: 'Dials to nodes learnt from heartbeats', labelNames: ['outcome'], registers }),
    selections: new Counter({ name: 'zerostate_selections_total', help: 'Requests by capability, by strategy and outcome', labelNames: ['strategy', 'outcome'], registers }),
    selectionRetries: new Counter({ name: 'zerostate_selection_retries_total', help: 'Candidates retried because the chosen agent was gone', registers }),
    auctions: new Counter({ name: 'zerostate_auctions_total', help: 'Auctions run by this node, by outcome', labelNames: ['outcome'], registers }),
    auctionBids: new Counter({ name: 'zerostate_auction_bids_total', help: 'Bids received by this node\'s auctions', registers }),
    auctionAwards: new Counter({ name: 'zerostate_auction_awards_total', help: 'Tasks awarded by this node\'s auctions', registers })
  }
}
