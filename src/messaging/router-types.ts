/**
 * Types shared by the router core, the gossipsub bridge and the bus.
 */
import type { AgentMessage } from '../envelope-types.ts'
import type { WireError } from '../errors.ts'

/** A task as an agent receives it from the router (deadline 0 = none; replyTo '' = no answer expected). */
export type { AgentTask } from '../../machines/agent-types.ts'
import type { AgentTask } from '../../machines/agent-types.ts'

/** What the router needs from a local agent. */
export interface LocalAgent {
  deliver: (task: AgentTask) => void
  /** The caller gave up: drop the task if queued, abort it if running, answer it with `reason`. */
  cancel: (taskId: string, reason?: WireError) => void
}

/**
 * A node-level service reached at `<node did>#_<name>` (coordination, auctions, ...).
 * It returns the answer's payload, or a promise of it; a payload returned
 * synchronously is answered at once, in the same turn as the request arrived.
 */
export type ServiceHandler = (message: AgentMessage) => unknown

/** How the router reaches other nodes. */
export interface Transport {
  /**
   * Queue `msg` for the node `peerId` (DID `toNodeDid`). The transport waits
   * for the peer's inbox subscription until `deadline` (epoch ms) and calls
   * `onFailure` if it cannot hand the message over by then.
   */
  sendDirect: (peerId: string, toNodeDid: string, msg: AgentMessage, deadline: number, onFailure: (error: Error) => void) => void
  /** Publish on the broadcast topic (signed where the policy needs it). */
  broadcast: (msg: AgentMessage) => Promise<void>
}

/** What the transport knows about an incoming envelope's origin. */
export interface InboundInfo {
  /** Peer id proven to have authored the envelope, or undefined when unproven. */
  author: string | undefined
}
