/**
 * What users hand to `node.spawnAgent(spec)` and what a task handler sees.
 */
import type { Logger } from 'pino'
import type { AnyActorLogic } from 'xstate'
import type { MessageBus } from './bus-types.ts'

/** What a task handler receives besides the task itself. */
export interface TaskContext {
  /** Aborted at the request's deadline, when the caller gives up, or when the agent stops. */
  signal: AbortSignal
  /** Epoch milliseconds after which the answer is useless. */
  deadline: number
  /** Budget the caller granted (Infinity when none). */
  budget: number
  /** Report what this task cost (added up; the caller sees the sum). */
  reportCost: (cost: number) => void
  /** The id of the request being handled (stable across retransmits). */
  requestId: string
  /** The sender's address. */
  from: string
  /** The task's priority. */
  priority: number
  /** A child logger with node, agent and request ids. */
  logger: Logger
  /** The agent's own bus, to call other agents. */
  bus: MessageBus
}

/** A function agent: answers each task. Throw `TaskError` to fail one task; anything else is a crash. */
export type TaskHandler = (task: any, ctx: TaskContext) => unknown

/** A bid in an auction, or null to decline. */
export interface Bid { price: number, etaMs: number }

/** A call for proposals, as a bidder sees it. */
export interface CallForProposals { auctionId: string, capability: string, task: unknown, maxPrice?: number, from: string }

/** OTP-style restart policy. */
export interface SupervisionOptions {
  /** Crashes tolerated within `withinMs` before the agent is stopped for good. Default 3. */
  maxRestarts?: number
  /** Window for counting crashes. Default 10 000 ms. */
  withinMs?: number
  /** Delay before the first restart; doubles with each crash in the window. Default 100 ms. */
  backoffMs?: number
  /** Upper bound of the backoff. Default 5 000 ms. */
  maxBackoffMs?: number
}

/**
 * An agent to spawn: either `handle` (a function) or `logic` (XState logic
 * with the documented task event contract).
 *
 * @example
 * ```ts
 * const agent = await node.spawnAgent({
 *   name: 'echo',
 *   capabilities: ['echo'],
 *   handle: async (task, ctx) => { ctx.reportCost(0.1); return task }
 * })
 * ```
 */
export interface AgentSpec {
  name: string
  capabilities?: string[]
  handle?: TaskHandler
  logic?: AnyActorLogic
  /** Tasks run at once. Default 1. */
  concurrency?: number
  /** Mailbox capacity (queued tasks beyond those running). Default 1024. */
  mailboxSize?: number
  supervision?: SupervisionOptions
  /** Price announced in heartbeats and used as the default bid. */
  price?: number
  /** Auction bidding; default bids `price` with etaMs 0 when `price` is set, else declines. */
  bid?: (cfp: CallForProposals) => Bid | null | Promise<Bid | null>
}

/** A running agent. */
export interface AgentHandle {
  /** `did:key:<node key>#<name>` */
  readonly id: string
  readonly name: string
  /** Bus sending as this agent. */
  readonly bus: MessageBus
  /** Stop the agent: in-flight tasks finish (or are aborted after `timeout`), queued ones get `AGENT_STOPPED`. */
  stop: (options?: { timeout?: number, signal?: AbortSignal }) => Promise<void>
}
