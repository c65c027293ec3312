/**
 * Plain-data types of the agent machine (machines/agent.ts): its input,
 * context, the events it accepts and the results it replies with.
 * Everything here is JSON/msgpack-serialisable.
 */
import type { WireError } from '../src/errors.ts'

/** One task as the agent machine sees it (a REQUEST, decoded by the router). */
export interface AgentTask {
  /** The request id; unique per request (retransmits keep it). */
  taskId: string
  /** What the handler (or user logic) receives. */
  payload: unknown
  /** 0..255, higher is taken first from the mailbox. */
  priority: number
  /** Epoch milliseconds after which the answer is useless (`Infinity` or 0: none). */
  deadline: number
  /** Budget granted by the caller; null when none. */
  budget: number | null
  /** The sender's address. */
  from: string
  /** Where the answer goes. */
  replyTo: string
}

/** What a task ends with: one of these is replied exactly once per task. */
export type TaskResult =
  | { ok: true, output: unknown, cost: number }
  | { ok: false, error: WireError }

/**
 * How a task ended, for metrics: `succeeded`, `failed` (TaskError or a
 * user-logic failure), `crashed` (the agent crashed under it), `rejected`
 * (mailbox full), `stopped` (AGENT_STOPPED), `cancelled` (deadline or caller
 * abort).
 */
export type TaskOutcome = 'succeeded' | 'failed' | 'crashed' | 'rejected' | 'stopped' | 'cancelled'

/** OTP-style restart policy with every default filled in. */
export interface SupervisionPolicy {
  maxRestarts: number
  withinMs: number
  backoffMs: number
  maxBackoffMs: number
}

/** Input of the agent machine. Missing optional fields take the documented defaults. */
export interface AgentMachineInput {
  agentId: string
  name: string
  capabilities?: string[]
  /** Tasks run at once. Default 1. */
  concurrency?: number
  /** Queued tasks beyond those running. Default 1024. */
  mailboxSize?: number
  supervision?: Partial<SupervisionPolicy>
  /** True when the agent runs user XState logic (spawned from src `userLogic`). */
  hasLogic: boolean
}

/** Why an agent stopped. */
export type StopReason = 'requested' | 'restart-limit'

/** The agent machine's context: plain data only. */
export interface AgentContext {
  agentId: string
  name: string
  capabilities: string[]
  concurrency: number
  mailboxSize: number
  supervision: SupervisionPolicy
  hasLogic: boolean
  /** Tasks being executed, in start order (never more than `concurrency`). */
  running: AgentTask[]
  /** Queued tasks, highest priority first, FIFO within a priority. */
  mailbox: AgentTask[]
  /** Crashes inside the current `withinMs` window (each one expires by a delayed event). */
  recentCrashes: number
  /** Restarts since the agent was spawned. */
  restarts: number
  /** The delay of the current (or last) restart backoff. */
  backoffDelayMs: number
  /** Grace period of a requested stop; null waits for in-flight tasks without limit. */
  stopGraceMs: number | null
  stopReason: StopReason | null
  /** The crash that spent the restart budget. */
  lastError: WireError | null
}

/**
 * The event a user-logic agent receives for each task.
 *
 * @example
 * ```ts
 * on: { 'zerostate.task': { actions: sendParent(({ event }) => ({ type: 'zerostate.task.done', taskId: event.taskId, output: event.task })) } }
 * ```
 */
export interface UserLogicTaskEvent {
  type: 'zerostate.task'
  taskId: string
  task: unknown
  priority: number
  deadline: number
  budget: number | null
  from: string
}

/** Sent to user logic when a running task is cancelled (deadline, caller abort, stop). It may ignore it. */
export interface UserLogicCancelEvent {
  type: 'zerostate.task.cancel'
  taskId: string
  reason: WireError
}

/** User logic answers a task with one of these, via `sendParent`. */
export type UserLogicReplyEvent =
  | { type: 'zerostate.task.done', taskId: string, output: unknown, cost?: number }
  | { type: 'zerostate.task.failed', taskId: string, error: { code: string, message: string, details?: Record<string, unknown> } }

/** Events the agent machine accepts. */
export type AgentEvent =
  | { type: 'task.arrive', task: AgentTask }
  | { type: 'task.done', taskId: string, output: unknown, cost: number }
  | { type: 'task.failed', taskId: string, error: WireError }
  | { type: 'task.crashed', taskId: string, error: WireError }
  | { type: 'task.cancel', taskId: string, reason?: WireError }
  | { type: 'agent.stop', graceMs?: number }
  | { type: 'crash.expired' }
  | UserLogicReplyEvent
