/**
 * Agents of the demo's node B: resize, JSON parsing, aggregation, one bidder
 * and one compiler.
 */
import type { AgentSpec } from '../../agent-types.ts'
import { aggregator, jsonParser } from './data-agents.ts'
import type { DemoNode } from './demo-node.ts'
import { resizer } from './image-agents.ts'
import { summarizer } from './market-agents.ts'
import { compiler } from './build-agents.ts'

export default function agents (node: DemoNode): AgentSpec[] {
  return [resizer(), jsonParser(), aggregator(), summarizer('summarizer-b', 2.5, 60), compiler('compiler-b', node)]
}
