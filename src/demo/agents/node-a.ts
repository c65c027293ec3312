/**
 * Agents of the demo's node A (the coordinator): upload, fetch, CSV parsing,
 * the auctioneer, one bidder and one compiler.
 */
import type { AgentSpec } from '../../agent-types.ts'
import { csvParser, fetcher } from './data-agents.ts'
import type { DemoNode } from './demo-node.ts'
import { uploader } from './image-agents.ts'
import { auctioneer, summarizer } from './market-agents.ts'
import { compiler } from './build-agents.ts'

export default function agents (node: DemoNode): AgentSpec[] {
  return [uploader(), fetcher(), csvParser(), auctioneer(node), summarizer('summarizer-a', 4.0, 40), compiler('compiler-a', node)]
}
