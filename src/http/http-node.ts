/**
 * What the HTTP API needs of a node: its identity, metrics, bus and the
 * workflow services, plus the agent directory when the node has one.
 * `ZeroStateNode` satisfies it; tests may hand in anything of this shape.
 */
import type { Registry } from 'prom-client'
import type { Logger } from 'pino'
import type { MessageBus } from '../bus-types.ts'
import type { ChainService } from '../chains/chain-service.ts'
import type { DagService } from '../dags/dag-service.ts'

/** One agent as the directory lists it. */
export interface DirectoryAgent {
  readonly id: string
  readonly capabilities: readonly string[]
}

/** The read side of the node's agent directory. */
export interface AgentDirectoryView {
  list: () => readonly DirectoryAgent[]
  get: (id: string) => DirectoryAgent | undefined
}

/** The node the HTTP API serves. */
export interface HttpNode {
  readonly peerId: string
  readonly did: string
  readonly multiaddrs: ReadonlyArray<{ toString: () => string }>
  readonly registry: Registry
  readonly logger: Logger
  readonly bus: MessageBus
  readonly chains: ChainService
  readonly dags: DagService
  /** Live agents of the mesh; without it `GET /v1/agents` lists none and requests skip the lookup. */
  readonly directory?: AgentDirectoryView
}
