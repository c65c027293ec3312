/**
 * The envelope every agent message travels in (DESIGN.md §4), as TypeScript
 * sees it. On the wire it is msgpack with one-letter keys (see codec.ts).
 */

/** Message kinds. */
export type MessageType =
  | 'REQUEST'
  | 'RESPONSE'
  | 'BROADCAST'
  | 'NEGOTIATION'
  | 'COORDINATION'
  | 'HEARTBEAT'
  | 'ACK'

/** Delivery guarantees. */
export type Delivery = 'BEST_EFFORT' | 'AT_LEAST_ONCE' | 'EXACTLY_ONCE'

export const MESSAGE_TYPES: readonly MessageType[] = ['REQUEST', 'RESPONSE', 'BROADCAST', 'NEGOTIATION', 'COORDINATION', 'HEARTBEAT', 'ACK']
export const DELIVERIES: readonly Delivery[] = ['BEST_EFFORT', 'AT_LEAST_ONCE', 'EXACTLY_ONCE']

/**
 * One agent message. Ids are 32-character lowercase hex strings (16 random
 * bytes; carried as 16 binary bytes on the wire). Addresses are agent ids
 * (`did:key:<node key>#<agent name>`) or node addresses (`did:key:<node key>`).
 */
export interface AgentMessage {
  /** Unique message id; also the idempotency key for EXACTLY_ONCE. */
  id: string
  /** For RESPONSE/ACK: the id of the REQUEST answered. For a REQUEST: its own id. */
  correlationId: string
  type: MessageType
  delivery: Delivery
  /** Milliseconds since the epoch when the message was created. */
  timestamp: number
  /** Milliseconds after `timestamp` during which the message may be delivered. 0 = no expiry. */
  ttl: number
  /** 0 (lowest) to 255; higher is taken first from a backlog. */
  priority: number
  from: string
  /** The addressee; empty for BROADCAST and HEARTBEAT. */
  to: string
  /** Where answers go; defaults to `from`. */
  replyTo: string
  payload: unknown
  /** Transmission attempt, 0 for the first; retransmits differ so gossipsub does not swallow them. */
  attempt?: number
  /** Budget granted to a REQUEST's task (optional). */
  budget?: number
  /** Ed25519 signature by the sender's node key (BROADCAST/HEARTBEAT/NEGOTIATION over unsigned gossipsub). */
  signature?: Uint8Array
}
