/**
 * Pure planning helpers of the agent machine: given the context and what
 * happened, compute the new `running`/`mailbox` arrays and the effects (named
 * actions) to run. No I/O; the machine turns a plan into `assign` plus
 * enqueued actions.
 */
import type { WireError } from '../src/errors.ts'
import type { AgentContext, AgentTask, StopReason, TaskOutcome, TaskResult } from './agent-types.ts'
import { removeAt } from './mailbox.ts'

/** Parameters of the `reply` action. */
export interface ReplyParams { task: AgentTask, result: TaskResult, outcome: TaskOutcome }

/** The effect that answers a task. */
export interface ReplyEffect { type: 'reply', params: ReplyParams }

/** One named action to run, with its parameters (`forwardTask`: hand the task to user logic). */
export type AgentEffect =
  | { type: 'startTask', params: { task: AgentTask } }
  | { type: 'forwardTask', params: { task: AgentTask } }
  | { type: 'abortTask', params: { taskId: string, reason: WireError } }
  | ReplyEffect
  | { type: 'queueDepthChanged', params: { depth: number } }

/** The new task arrays and the effects that go with them. */
export interface Plan { running: AgentTask[], mailbox: AgentTask[], effects: AgentEffect[] }

/** The wire error every queued or later task gets once the agent has stopped. */
export function agentStoppedError (name: string, reason: StopReason | null): WireError {
  return reason === 'restart-limit'
    ? { code: 'AGENT_STOPPED', message: `agent "${name}" was stopped after too many crashes` }
    : { code: 'AGENT_STOPPED', message: `agent "${name}" is stopped` }
}

/** A reply effect. */
export function replyEffect (task: AgentTask, result: TaskResult, outcome: TaskOutcome): ReplyEffect {
  return { type: 'reply', params: { task, result, outcome } }
}

/** The effect that starts a task: run the handler, or forward to user logic. */
export function startEffect (ctx: AgentContext, task: AgentTask): AgentEffect {
  return ctx.hasLogic ? { type: 'forwardTask', params: { task } } : { type: 'startTask', params: { task } }
}

/** True when a task with this id is running or queued. */
export function isKnownTask (ctx: AgentContext, taskId: string): boolean {
  return indexOfTask(ctx.running, taskId) >= 0 || indexOfTask(ctx.mailbox, taskId) >= 0
}

/** Index of a task by id, -1 when absent. */
export function indexOfTask (tasks: readonly AgentTask[], taskId: string): number {
  for (let i = 0; i < tasks.length; i++) if (tasks[i].taskId === taskId) return i
  return -1
}

/** Start queued tasks (highest priority first) while a slot is free. */
export function dispatch (ctx: AgentContext, plan: Plan): Plan {
  const take = Math.min(ctx.concurrency - plan.running.length, plan.mailbox.length)
  if (take <= 0) return plan
  const started = plan.mailbox.slice(0, take)
  const effects = plan.effects
  for (const task of started) effects.push(startEffect(ctx, task))
  const mailbox = plan.mailbox.slice(take)
  effects.push({ type: 'queueDepthChanged', params: { depth: mailbox.length } })
  return { running: plan.running.concat(started), mailbox, effects }
}

/**
 * A running task ended: reply with `result`, free its slot and, when
 * `refill`, start the next queued task. Null when the task is not running.
 */
export function finishTask (ctx: AgentContext, taskId: string, result: TaskResult, outcome: TaskOutcome, refill: boolean): Plan | null {
  const index = indexOfTask(ctx.running, taskId)
  if (index < 0) return null
  const plan: Plan = { running: removeAt(ctx.running, index), mailbox: ctx.mailbox, effects: [replyEffect(ctx.running[index], result, outcome)] }
  return refill ? dispatch(ctx, plan) : plan
}

/**
 * The caller gave up on a task (deadline or abort): drop it from the mailbox,
 * or abort it when running. It is answered with `reason`. Null when unknown.
 */
export function cancelTask (ctx: AgentContext, taskId: string, reason: WireError, refill: boolean): Plan | null {
  const running = indexOfTask(ctx.running, taskId)
  if (running >= 0) {
    const plan: Plan = {
      running: removeAt(ctx.running, running),
      mailbox: ctx.mailbox,
      effects: [{ type: 'abortTask', params: { taskId, reason } }, replyEffect(ctx.running[running], { ok: false, error: reason }, 'cancelled')]
    }
    return refill ? dispatch(ctx, plan) : plan
  }
  const queued = indexOfTask(ctx.mailbox, taskId)
  if (queued < 0) return null
  const mailbox = removeAt(ctx.mailbox, queued)
  return {
    running: ctx.running,
    mailbox,
    effects: [replyEffect(ctx.mailbox[queued], { ok: false, error: reason }, 'cancelled'), { type: 'queueDepthChanged', params: { depth: mailbox.length } }]
  }
}

/**
 * The agent crashed (a handler threw a non-TaskError, or user logic failed).
 * The crashed task (or, for user logic, every running task) is answered
 * `HANDLER_ERROR` with the crash; other running tasks are aborted and
 * answered `HANDLER_ERROR` too (the agent they ran in is gone). Queued tasks
 * stay queued.
 */
export function crashRunning (ctx: AgentContext, crashedTaskId: string | null, error: WireError): Plan {
  const effects: AgentEffect[] = []
  for (const task of ctx.running) {
    if (crashedTaskId === null || task.taskId === crashedTaskId) {
      effects.push(replyEffect(task, { ok: false, error: asHandlerError(error) }, 'crashed'))
      continue
    }
    const reason: WireError = {
      code: 'HANDLER_ERROR',
      message: `agent "${ctx.name}" crashed while this task was running: ${error.message}`,
      details: { reason: 'agent-crashed', crashedTaskId }
    }
    effects.push({ type: 'abortTask', params: { taskId: task.taskId, reason } })
    effects.push(replyEffect(task, { ok: false, error: reason }, 'crashed'))
  }
  return { running: [], mailbox: ctx.mailbox, effects }
}

/** Abort every running task with `reason` and answer it (stop grace elapsed). */
export function abortRunning (ctx: AgentContext, reason: WireError): Plan {
  const effects: AgentEffect[] = []
  for (const task of ctx.running) {
    effects.push({ type: 'abortTask', params: { taskId: task.taskId, reason } })
    effects.push(replyEffect(task, { ok: false, error: reason }, 'stopped'))
  }
  return { running: [], mailbox: ctx.mailbox, effects }
}

/** Answer every queued task `AGENT_STOPPED` and empty the mailbox. */
export function rejectQueued (ctx: AgentContext, error: WireError): Plan {
  if (ctx.mailbox.length === 0) return { running: ctx.running, mailbox: ctx.mailbox, effects: [] }
  const effects: AgentEffect[] = ctx.mailbox.map(task => replyEffect(task, { ok: false, error }, 'stopped'))
  effects.push({ type: 'queueDepthChanged', params: { depth: 0 } })
  return { running: ctx.running, mailbox: [], effects }
}

/** Errors from a crash always reach the caller as `HANDLER_ERROR`. */
export function asHandlerError (error: WireError): WireError {
  return error.code === 'HANDLER_ERROR' ? error : { code: 'HANDLER_ERROR', message: error.message, details: { code: error.code, ...(error.details === undefined ? {} : { details: error.details }) } }
}

/** The wire form of whatever a user-logic actor failed with. */
export function crashToWire (error: unknown): WireError {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'agent logic failed'
  return { code: 'HANDLER_ERROR', message }
}

/**
 * A `zerostate.task.failed` from user logic, shaped like a TaskError:
 * `HANDLER_ERROR` whose details carry the logic's own code and details.
 */
export function userFailureToWire (error: { code?: unknown, message?: unknown, details?: unknown } | undefined): WireError {
  const code = typeof error?.code === 'string' ? error.code : 'TASK_FAILED'
  const message = typeof error?.message === 'string' ? error.message : 'task failed'
  const details: Record<string, unknown> = { code }
  if (typeof error?.details === 'object' && error.details !== null) details.details = error.details
  return { code: 'HANDLER_ERROR', message, details }
}

/** A reported cost, or 0 when it is missing or not a finite non-negative number. */
export function sanitizeCost (cost: unknown): number {
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : 0
}

/** The backoff before the `crashes`-th restart in the window: doubles per crash, capped. */
export function backoffDelay (policy: { backoffMs: number, maxBackoffMs: number }, crashes: number): number {
  const exponent = Math.max(0, Math.min(crashes - 1, 30))
  return Math.min(policy.backoffMs * 2 ** exponent, policy.maxBackoffMs)
}
