/**
 * The agent runtime: starts the pure agent machine under an ActorHost and
 * provides its I/O (running handlers with a per-task AbortController and
 * deadline, aborting, replying, metrics and logs). The router hands it tasks
 * with `deliver` and gets answers through `deps.reply`.
 */
import type { Logger } from 'pino'
import type { ActorRefFrom } from 'xstate'
import type { ActorHost } from '../actor-host.ts'
import type { AgentSpec } from '../agent-types.ts'
import type { MessageBus } from '../bus-types.ts'
import { ZeroStateError, errorToWire, isTaskError, isZeroStateError, type WireError } from '../errors.ts'
import { agentMachine, type AgentMachine } from '../../machines/agent.ts'
import type { AgentEvent, AgentTask, StopReason, TaskOutcome, TaskResult } from '../../machines/agent-types.ts'
import type { AgentMetrics } from './agent-metrics.ts'
import { TaskRun } from './task-run.ts'
import { DeadlineWheel } from '../messaging/deadline-wheel.ts'

/** What the runtime needs from its node. */
export interface AgentRuntimeDeps {
  /** `did:key:<node key>#<name>`; also the actor's id under the host. */
  agentId: string
  host: ActorHost
  logger: Logger
  /** The agent's own bus (`ctx.bus`). */
  bus: MessageBus
  metrics: AgentMetrics
  /** Send the answer of a task to `task.replyTo`. Called exactly once per delivered task. */
  reply: (task: AgentTask, result: TaskResult) => void
  /** Epoch milliseconds (deadlines). Default `Date.now`. */
  now?: () => number
}

/** Why and how an agent stopped. */
export interface AgentStoppedEvent {
  agentId: string
  reason: StopReason
  /** The crash that spent the restart budget. */
  error?: WireError
}

/** A supervised agent, as the node and router drive it. */
export interface AgentRuntime {
  readonly id: string
  readonly actor: ActorRefFrom<AgentMachine>
  /** Hand the agent a task; its answer comes through `deps.reply` (at once for MAILBOX_FULL or AGENT_STOPPED). */
  deliver: (task: AgentTask) => void
  /** The caller gave up: drop the task if queued, abort it if running. It is answered with `reason` (default ABORTED). */
  cancel: (taskId: string, reason?: WireError) => void
  /** Tasks running and queued now. */
  load: () => { running: number, queued: number, concurrency: number }
  /**
   * Stop gracefully: queued tasks are answered AGENT_STOPPED, in-flight ones
   * finish, or are aborted after `timeout` ms (default: no limit). Aborting
   * `signal` cuts the wait short: in-flight tasks are aborted at once. Resolves
   * once the agent has stopped.
   */
  stop: (options?: { timeout?: number, signal?: AbortSignal }) => Promise<void>
  /** Called once when the agent stops (requested, or after too many crashes). Returns an unsubscribe function. */
  onStopped: (listener: (event: AgentStoppedEvent) => void) => () => void
}


/**
 * Start a supervised agent.
 *
 * @example
 * ```ts
 * const agent = createAgentRuntime({ name: 'echo', handle: (task, ctx) => { ctx.reportCost(1); return task } }, {
 *   agentId: 'did:key:z6Mk…#echo', host, logger, bus, metrics: createAgentMetrics(registry),
 *   reply: (task, result) => router.respond(task, result)
 * })
 * agent.deliver({ taskId: 'a1', payload: 'hi', priority: 0, deadline: Date.now() + 1000, budget: null, from, replyTo: from })
 * await agent.stop({ timeout: 1000 })
 * ```
 */
export function createAgentRuntime (spec: AgentSpec, deps: AgentRuntimeDeps): AgentRuntime {
  validateSpec(spec)
  const { agentId, host, bus, metrics } = deps
  const now = deps.now ?? Date.now
  // Task deadlines on one timer per agent (a setTimeout per task cost a libuv timer insert and removal each).
  const deadlines = new DeadlineWheel<TaskRun>(run => { send({ type: 'task.cancel', taskId: run.requestId, reason: deadlineError(run.task) }) }, 5, now)
  const logger = deps.logger.child({ agentId })
  const handle = spec.handle
  const runs = new Map<string, TaskRun>()
  const outcomeCounters = new Map<TaskOutcome, () => void>()
  const observeDuration = metrics.taskDuration.series({ agent: spec.name })
  const queueDepth = metrics.queueDepth.labels(spec.name)
  const stopListeners = new Set<(event: AgentStoppedEvent) => void>()
  const stopWaiters: Array<() => void> = []
  let stoppedEvent: AgentStoppedEvent | undefined
  let lastLoad = { running: 0, queued: 0, concurrency: spec.concurrency ?? 1 }

  const countOutcome = (outcome: TaskOutcome): void => {
    let counter = outcomeCounters.get(outcome)
    if (counter === undefined) {
      counter = metrics.tasks.series({ agent: spec.name, outcome })
      outcomeCounters.set(outcome, counter)
    }
    counter()
  }

  const send = (event: AgentEvent): void => { actor.send(event) }

  const settle = (run: TaskRun, value: unknown, threw: boolean): void => {
    if (runs.get(run.requestId) !== run || run.aborted) return
    if (!threw) {
      send({ type: 'task.done', taskId: run.requestId, output: value, cost: run.cost })
    } else if (isTaskError(value)) {
      send({ type: 'task.failed', taskId: run.requestId, error: errorToWire(value) })
    } else {
      run.logger.warn({ err: value }, 'agent handler crashed')
      send({ type: 'task.crashed', taskId: run.requestId, error: crashWire(value) })
    }
  }

  const startHandler = (run: TaskRun): void => {
    if (handle === undefined) return
    let result: unknown
    try {
      result = handle(run.task.payload, run)
    } catch (err) {
      settle(run, err, true)
      return
    }
    if (isPromiseLike(result)) result.then(value => { settle(run, value, false) }, (err: unknown) => { settle(run, err, true) })
    else settle(run, result, false)
  }

  /** Mark a task started; undefined (and a TIMEOUT cancel) when its deadline has already passed. */
  const begin = (task: AgentTask): TaskRun | undefined => {
    const run = runs.get(task.taskId) ?? track(task)
    run.startedAt = performance.now()
    if (run.expired) {
      send({ type: 'task.cancel', taskId: task.taskId, reason: deadlineError(task) })
      return undefined
    }
    return run
  }

  const track = (task: AgentTask): TaskRun => {
    const run = new TaskRun(task, agentId, logger, bus)
    runs.set(task.taskId, run)
    if (!(task.deadline > 0 && task.deadline < Infinity)) return run
    if (task.deadline <= now()) run.expired = true
    else run.deadlineKey = deadlines.add(run, task.deadline)
    return run
  }

  const machine = agentMachine.provide({
    actions: {
      startTask: (_, { task }) => {
        const run = begin(task)
        if (run !== undefined) startHandler(run)
      },
      taskForwarded: (_, { task }) => { begin(task) },
      abortTask: (_, { taskId, reason }) => { runs.get(taskId)?.abort(reason) },
      reply: (_, { task, result, outcome }) => {
        const run = runs.get(task.taskId)
        if (run !== undefined) {
          runs.delete(task.taskId)
          if (run.deadlineKey !== 0) deadlines.remove(run, run.deadlineKey)
          if (run.startedAt >= 0) observeDuration((performance.now() - run.startedAt) / 1000)
        }
        countOutcome(outcome)
        try {
          deps.reply(task, result)
        } catch (err) {
          logger.error({ err, taskId: task.taskId }, 'reply to a task failed')
        }
      },
      agentRestarted: (_, { restarts, delayMs }) => {
        metrics.restarts.inc({ agent: spec.name })
        logger.warn({ restarts, delayMs }, 'agent crashed; restarting after backoff')
      },
      agentStopped: (_, { reason, error }) => {
        stoppedEvent = error === undefined ? { agentId, reason } : { agentId, reason, error }
        if (reason === 'restart-limit') logger.error({ err: error }, 'agent crashed too often; stopped for good')
        else logger.info('agent stopped')
        queueMicrotask(finishStop)
      },
      queueDepthChanged: (_, { depth }) => { queueDepth.set(depth) }
    },
    ...(spec.logic === undefined ? {} : { actors: { userLogic: spec.logic } })
  })

  const actor = host.spawn(machine, {
    id: agentId,
    input: {
      agentId,
      name: spec.name,
      capabilities: spec.capabilities ?? [],
      ...(spec.concurrency === undefined ? {} : { concurrency: spec.concurrency }),
      ...(spec.mailboxSize === undefined ? {} : { mailboxSize: spec.mailboxSize }),
      ...(spec.supervision === undefined ? {} : { supervision: spec.supervision }),
      hasLogic: spec.logic !== undefined
    }
  })
  lastLoad.concurrency = actor.getSnapshot().context.concurrency

  function finishStop (): void {
    const event = stoppedEvent
    if (event === undefined) return
    lastLoad = { running: 0, queued: 0, concurrency: lastLoad.concurrency }
    queueDepth.set(0)
    host.stop(agentId)
    deadlines.clear()
    for (const waiter of stopWaiters.splice(0)) waiter()
    for (const listener of [...stopListeners]) {
      try {
        listener(event)
      } catch (err) {
        logger.error({ err }, 'agent stop listener threw')
      }
    }
    stopListeners.clear()
  }

  return {
    id: agentId,
    actor,
    deliver (task) {
      if (stoppedEvent !== undefined) {
        countOutcome('stopped')
        deps.reply(task, { ok: false, error: { code: 'AGENT_STOPPED', message: `agent "${spec.name}" is stopped` } })
        return
      }
      if (runs.has(task.taskId)) return
      track(task)
      send({ type: 'task.arrive', task })
    },
    cancel (taskId, reason) {
      if (stoppedEvent !== undefined || !runs.has(taskId)) return
      send(reason === undefined ? { type: 'task.cancel', taskId } : { type: 'task.cancel', taskId, reason })
    },
    load () {
      if (stoppedEvent !== undefined) return { ...lastLoad }
      const { running, mailbox, concurrency } = actor.getSnapshot().context
      return { running: running.length, queued: mailbox.length, concurrency }
    },
    stop ({ timeout, signal } = {}) {
      if (stoppedEvent !== undefined) return Promise.resolve()
      const stopped = new Promise<void>(resolve => { stopWaiters.push(resolve) })
      const force = (): void => { send({ type: 'agent.stop', graceMs: 0 }) }
      if (signal?.aborted === true) {
        force()
      } else {
        send(timeout === undefined ? { type: 'agent.stop' } : { type: 'agent.stop', graceMs: timeout })
        if (signal !== undefined) {
          signal.addEventListener('abort', force, { once: true })
          void stopped.then(() => { signal.removeEventListener('abort', force) })
        }
      }
      return stopped
    },
    onStopped (listener) {
      if (stoppedEvent !== undefined) {
        const event = stoppedEvent
        queueMicrotask(() => { listener(event) })
        return () => {}
      }
      stopListeners.add(listener)
      return () => { stopListeners.delete(listener) }
    }
  }
}

function validateSpec (spec: AgentSpec): void {
  if (typeof spec.name !== 'string' || spec.name.length === 0) throw new ZeroStateError('INVALID_ARGUMENT', 'an agent needs a non-empty name')
  if ((spec.handle === undefined) === (spec.logic === undefined)) {
    throw new ZeroStateError('INVALID_ARGUMENT', `agent "${spec.name}" needs exactly one of handle or logic`)
  }
  if (spec.concurrency !== undefined && !(Number.isInteger(spec.concurrency) && spec.concurrency >= 1)) {
    throw new ZeroStateError('INVALID_ARGUMENT', `agent "${spec.name}": concurrency must be an integer >= 1`)
  }
  if (spec.mailboxSize !== undefined && !(Number.isInteger(spec.mailboxSize) && spec.mailboxSize >= 0)) {
    throw new ZeroStateError('INVALID_ARGUMENT', `agent "${spec.name}": mailboxSize must be an integer >= 0`)
  }
}

function deadlineError (task: AgentTask): WireError {
  return { code: 'TIMEOUT', message: 'the task\'s deadline passed', details: { deadline: task.deadline } }
}

/** A crash reaches the caller as HANDLER_ERROR; a typed error keeps its code in details. */
function crashWire (err: unknown): WireError {
  const message = err instanceof Error ? err.message : String(err)
  return isZeroStateError(err) ? { code: 'HANDLER_ERROR', message, details: { code: err.code } } : { code: 'HANDLER_ERROR', message }
}

function isPromiseLike (value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
