/**
 * Discovery: heartbeats and the agent directory, selection by capability,
 * and contract-net auctions.
 */
export { attachDiscovery, type DiscoveryInit, type NodeDiscovery } from './attach-discovery.ts'
export type { AgentDirectory, DirectoryEntry, DirectoryChange } from './agent-directory.ts'
export type { AgentLoad, AnnouncedAgent, HeartbeatPayload } from './heartbeat.ts'
export {
  createSelectorRegistry, firstSelector, randomSelector, leastLoadedSelector, DEFAULT_STRATEGY,
  type AgentSelector, type SyncAgentSelector, type SelectionContext, type SelectorRegistry
} from './selectors.ts'
export { rankBids, type Auctioneer, type AuctionBid, type AuctionOptions, type AuctionResult } from './auctioneer.ts'
export { defaultBid } from './auction-bidder.ts'
