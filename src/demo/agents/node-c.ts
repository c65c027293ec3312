/**
 * Agents of the demo's node C: compress, store, XML parsing, analytics, one
 * bidder and one compiler.
 */
import type { AgentSpec } from '../../agent-types.ts'
import { analytics, xmlParser } from './data-agents.ts'
import type { DemoNode } from './demo-node.ts'
import { compressor, storage } from './image-agents.ts'
import { summarizer } from './market-agents.ts'
import { compiler } from './build-agents.ts'

export default function agents (node: DemoNode): AgentSpec[] {
  return [compressor(), storage(), xmlParser(), analytics(), summarizer('summarizer-c', 3.2, 20), compiler('compiler-c', node)]
}
