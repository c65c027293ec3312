/**
 * The MessageBus: how user code and agents talk to other agents.
 * `node.bus` sends as the node; `agent.bus` sends as that agent.
 */
import type { AgentMessage, Delivery, MessageType } from './envelope-types.ts'

/** Options shared by every send. */
export interface SendOptions {
  delivery?: Delivery
  /** 0..255, higher first. Default 0. */
  priority?: number
  /** Milliseconds the message stays deliverable. Default: the request timeout, or 30 s. */
  ttl?: number
  signal?: AbortSignal
}

/** Options of a request. */
export interface RequestOptions extends SendOptions {
  /** Milliseconds to wait for the answer. Default 30 000. */
  timeout?: number
  /** Caller-chosen message id (32 hex chars) used as idempotency key with EXACTLY_ONCE. */
  id?: string
  /** Budget handed to the agent's task (`ctx.budget`). */
  budget?: number
}

/** Selecting an agent by capability instead of by id. */
export interface CapabilityTarget {
  capability: string
  /** `first` | `random` | `least-loaded` | `auction` | a registered custom selector name. Default `least-loaded`. */
  strategy?: string
  /** Further capabilities the agent must also offer. */
  capabilities?: string[]
  /** Agent ids not to pick (e.g. ones that failed an earlier attempt), unless no other agent qualifies. */
  exclude?: string[]
}

/** Whom a request goes to: an agent id or a capability. */
export type RequestTarget = string | CapabilityTarget

/** A reply with its metadata. */
export interface Reply<T = unknown> {
  payload: T
  /** The cost the agent reported for the task (0 when none). */
  cost: number
  /** The agent that answered. */
  agentId: string
}

/** A handler for incoming messages of one type. */
export type MessageHandler = (message: AgentMessage) => void

/**
 * @example
 * ```ts
 * const answer = await node.bus.request(agentId, { text: 'hi' }, { timeout: 2000 })
 * const off = node.bus.on('BROADCAST', msg => { news.push(msg.payload) })
 * ```
 */
export interface MessageBus {
  /** The address this bus sends from. */
  readonly address: string
  /** Send one message without waiting for an answer (resolves when handed to the network or local mailbox; with AT_LEAST_ONCE/EXACTLY_ONCE, when acknowledged). */
  send: (message: { to: string, type: MessageType, payload: unknown } & SendOptions) => Promise<void>
  /** Send a REQUEST and resolve with the RESPONSE payload. */
  request: <T = unknown>(to: RequestTarget, payload: unknown, options?: RequestOptions) => Promise<T>
  /** Like request, but resolves with the payload plus cost and answering agent. */
  call: <T = unknown>(to: RequestTarget, payload: unknown, options?: RequestOptions) => Promise<Reply<T>>
  /** Send a BROADCAST to every agent on every node. */
  broadcast: (payload: unknown, options?: SendOptions) => Promise<void>
  /** Listen for messages of one type addressed to this bus's address (or broadcast). Returns an unsubscribe function. */
  on: (type: MessageType, handler: MessageHandler) => () => void
}
