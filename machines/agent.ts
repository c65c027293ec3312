/**
 * The agent machine: a supervised agent with a concurrency limit, a bounded
 * priority mailbox, OTP-style restarts with backoff and a graceful stop.
 *
 * Pure: it imports only xstate and types. Task execution, aborts and replies
 * are named actions the runtime provides (src/agents/agent-runtime.ts); the
 * defaults do nothing. Agents with user XState logic get it as the child
 * `logic`, spawned from src `userLogic`.
 *
 * States: `running` (`idle`: nothing running, `busy`: at least one task
 * running) → `restarting` (backoff after a crash) → `running` …;
 * `running` → `stopping` (in-flight tasks drain) → `stopped`.
 * Every task that arrives is answered exactly once through the `reply` action.
 *
 * @example
 * ```ts
 * const actor = createActor(agentMachine.provide({ actions: { reply: (_, { task, result }) => send(task, result) } }), {
 *   input: { agentId: 'did:key:z…#echo', name: 'echo', hasLogic: false }
 * }).start()
 * actor.send({ type: 'task.arrive', task })
 * ```
 */
import { fromCallback, setup, type AnyActorLogic } from 'xstate'
import type { WireError } from '../src/errors.ts'
import {
  abortRunning, agentStoppedError, backoffDelay, cancelTask, crashRunning, crashToWire, dispatch, finishTask,
  indexOfTask, isKnownTask, rejectQueued, replyEffect, sanitizeCost, startEffect, userFailureToWire,
  type AgentEffect, type Plan, type ReplyParams
} from './agent-plan.ts'
import type { AgentContext, AgentEvent, AgentMachineInput, AgentTask, StopReason, UserLogicCancelEvent, UserLogicTaskEvent } from './agent-types.ts'
import { enqueueByPriority } from './mailbox.ts'

/** Longest delay a timer can take (setTimeout overflows above it). */
const MAX_DELAY_MS = 2_147_483_647

const DEFAULTS = { concurrency: 1, mailboxSize: 1024, maxRestarts: 3, withinMs: 10_000, backoffMs: 100, maxBackoffMs: 5_000 }

/** The default user logic: an actor that does nothing (the runtime provides the real one). */
const idleLogic: AnyActorLogic = fromCallback(() => undefined)

function whole (value: unknown, fallback: number, min: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min ? Math.min(Math.floor(value), MAX_DELAY_MS) : fallback
}

/** The machine's initial context from its input, defaults filled in. */
export function agentContextFromInput (input: AgentMachineInput): AgentContext {
  const s = input.supervision ?? {}
  return {
    agentId: input.agentId,
    name: input.name,
    capabilities: [...(input.capabilities ?? [])],
    concurrency: whole(input.concurrency, DEFAULTS.concurrency, 1),
    mailboxSize: whole(input.mailboxSize, DEFAULTS.mailboxSize, 0),
    supervision: {
      maxRestarts: whole(s.maxRestarts, DEFAULTS.maxRestarts, 0),
      withinMs: whole(s.withinMs, DEFAULTS.withinMs, 0),
      backoffMs: whole(s.backoffMs, DEFAULTS.backoffMs, 0),
      maxBackoffMs: whole(s.maxBackoffMs, DEFAULTS.maxBackoffMs, 0)
    },
    hasLogic: input.hasLogic,
    running: [],
    mailbox: [],
    recentCrashes: 0,
    restarts: 0,
    backoffDelayMs: 0,
    stopGraceMs: null,
    stopReason: null,
    lastError: null
  }
}

function toLogicTask (task: AgentTask): UserLogicTaskEvent {
  return { type: 'zerostate.task', taskId: task.taskId, task: task.payload, priority: task.priority, deadline: task.deadline, budget: task.budget, from: task.from }
}

const base = setup({
  types: {} as { context: AgentContext, events: AgentEvent, input: AgentMachineInput },
  actors: { userLogic: idleLogic },
  actions: {
    /** Run the task's handler (function agents). */
    startTask: (_, _params: { task: AgentTask }) => {},
    /** A task was forwarded to user logic (lets the runtime arm its deadline and timing). */
    taskForwarded: (_, _params: { task: AgentTask }) => {},
    /** Abort a running task's signal. */
    abortTask: (_, _params: { taskId: string, reason: WireError }) => {},
    /** Answer a task. Called exactly once per task. */
    reply: (_, _params: ReplyParams) => {},
    agentRestarted: (_, _params: { restarts: number, delayMs: number }) => {},
    agentStopped: (_, _params: { reason: StopReason, error?: WireError }) => {},
    queueDepthChanged: (_, _params: { depth: number }) => {}
  },
  guards: {
    isDuplicate: ({ context, event }) => event.type === 'task.arrive' && isKnownTask(context, event.task.taskId),
    hasFreeSlot: ({ context }) => context.running.length < context.concurrency,
    mailboxFull: ({ context }) => context.mailbox.length >= context.mailboxSize,
    isRunningTask: ({ context, event }) => 'taskId' in event && indexOfTask(context.running, event.taskId) >= 0,
    restartBudgetSpent: ({ context }) => context.recentCrashes > context.supervision.maxRestarts,
    hasRunning: ({ context }) => context.running.length > 0,
    hasLogic: ({ context }) => context.hasLogic,
    /** The event ends the only running task and nothing is queued: the agent becomes idle. */
    settlesLastTask: ({ context, event }) => context.running.length === 1 && context.mailbox.length === 0 && 'taskId' in event && context.running[0].taskId === event.taskId,
    noneRunning: ({ context }) => context.running.length === 0,
    graceLimited: ({ context }) => context.stopGraceMs !== null
  },
  delays: {
    backoff: ({ context }) => context.backoffDelayMs,
    restartWindow: ({ context }) => context.supervision.withinMs,
    stopGrace: ({ context }) => context.stopGraceMs ?? 0
  }
})

type Enqueue = Parameters<Parameters<typeof base.enqueueActions>[0]>[0]['enqueue']

/** Turn a plan into an assign plus its effects. */
function enqueuePlan (context: AgentContext, enqueue: Enqueue, plan: Plan | null): void {
  if (plan === null) return
  enqueue.assign({ running: plan.running, mailbox: plan.mailbox })
  for (const effect of plan.effects) enqueueEffect(context, enqueue, effect)
}

function enqueueEffect (context: AgentContext, enqueue: Enqueue, effect: AgentEffect): void {
  switch (effect.type) {
    case 'forwardTask':
      enqueue.sendTo('logic', toLogicTask(effect.params.task))
      enqueue({ type: 'taskForwarded', params: effect.params })
      return
    case 'abortTask':
      if (context.hasLogic) enqueue.sendTo('logic', { type: 'zerostate.task.cancel', taskId: effect.params.taskId, reason: effect.params.reason } satisfies UserLogicCancelEvent)
      enqueue(effect)
      return
    default:
      enqueue(effect)
  }
}

const CANCELLED: WireError = { code: 'ABORTED', message: 'task cancelled by its caller' }

/** Plan for a finished task: done, failed, or (while stopping) crashed. */
function planOutcome (context: AgentContext, event: AgentEvent, refill: boolean): Plan | null {
  switch (event.type) {
    case 'task.done':
    case 'zerostate.task.done':
      return finishTask(context, event.taskId, { ok: true, output: event.output, cost: sanitizeCost(event.cost) }, 'succeeded', refill)
    case 'task.failed':
      return finishTask(context, event.taskId, { ok: false, error: event.error }, 'failed', refill)
    case 'zerostate.task.failed':
      return finishTask(context, event.taskId, { ok: false, error: userFailureToWire(event.error) }, 'failed', refill)
    case 'task.crashed':
      return finishTask(context, event.taskId, { ok: false, error: event.error }, 'crashed', refill)
    case 'task.cancel':
      return cancelTask(context, event.taskId, event.reason ?? CANCELLED, refill)
    default:
      return null
  }
}

/** The crash's wire form, from a handler crash event or a user-logic error event. */
function crashError (event: { type: string, error?: unknown }): WireError {
  if (event.type === 'task.crashed') return event.error as WireError
  return event.type.startsWith('xstate.done.actor')
    ? { code: 'HANDLER_ERROR', message: 'agent logic finished unexpectedly' }
    : crashToWire(event.error)
}

/** A running task ended (or was cancelled); refill its slot from the mailbox. */
const settleAndRefill = base.enqueueActions(({ context, event, enqueue }) => { enqueuePlan(context, enqueue, planOutcome(context, event, true)) })

/** A task ended or was cancelled outside `running`: nothing new starts. */
const settle = base.enqueueActions(({ context, event, enqueue }) => { enqueuePlan(context, enqueue, planOutcome(context, event, false)) })

/** User logic failed while stopping: its running tasks are answered with the crash. */
const crashWhileStopping = base.enqueueActions(({ context, event, enqueue }) => { enqueuePlan(context, enqueue, crashRunning(context, null, crashError(event))) })

/** Record a crash: answer the affected tasks, count it in the window, schedule its expiry. */
const recordCrash = base.enqueueActions(({ context, event, enqueue }) => {
  const e = event as { type: string, taskId?: string, error?: unknown }
  const error = crashError(e)
  const plan = crashRunning(context, e.type === 'task.crashed' ? e.taskId ?? null : null, error)
  for (const effect of plan.effects) enqueueEffect(context, enqueue, effect)
  const crashes = context.recentCrashes + 1
  enqueue.assign({
    running: plan.running,
    recentCrashes: crashes,
    lastError: error,
    backoffDelayMs: backoffDelay(context.supervision, crashes)
  })
  enqueue.raise({ type: 'crash.expired' }, { delay: 'restartWindow' })
})

const stopQueued = base.enqueueActions(({ context, enqueue }) => {
  enqueuePlan(context, enqueue, rejectQueued(context, agentStoppedError(context.name, context.stopReason)))
})

const arriveWhenStopped = base.enqueueActions(({ context, event, enqueue }) => {
  if (event.type !== 'task.arrive') return
  enqueue(replyEffect(event.task, { ok: false, error: agentStoppedError(context.name, context.stopReason) }, 'stopped'))
})

const rejectMailboxFull = base.enqueueActions(({ context, event, enqueue }) => {
  if (event.type !== 'task.arrive') return
  const error: WireError = { code: 'MAILBOX_FULL', message: `agent "${context.name}" mailbox is full (${context.mailboxSize} queued)`, details: { mailboxSize: context.mailboxSize } }
  enqueue(replyEffect(event.task, { ok: false, error }, 'rejected'))
})

const enqueueArrived = base.enqueueActions(({ context, event, enqueue }) => {
  if (event.type !== 'task.arrive') return
  const mailbox = enqueueByPriority(context.mailbox, event.task)
  enqueue.assign({ mailbox })
  enqueue({ type: 'queueDepthChanged', params: { depth: mailbox.length } })
})

const startArrived = base.enqueueActions(({ context, event, enqueue }) => {
  if (event.type !== 'task.arrive') return
  enqueue.assign({ running: context.running.concat(event.task) })
  enqueueEffect(context, enqueue, startEffect(context, event.task))
})

const dispatchQueued = base.enqueueActions(({ context, enqueue }) => {
  enqueuePlan(context, enqueue, dispatch(context, { running: context.running, mailbox: context.mailbox, effects: [] }))
})

const spawnLogic = base.enqueueActions(({ context, enqueue }) => {
  if (context.hasLogic) enqueue.spawnChild('userLogic', { id: 'logic', input: { agentId: context.agentId, name: context.name } })
})

const restartLimitReached = base.enqueueActions(({ enqueue }) => {
  enqueue.assign({ stopReason: 'restart-limit' })
})

const requestStop = base.enqueueActions(({ context, event, enqueue }) => {
  if (event.type !== 'agent.stop') return
  const grace = typeof event.graceMs === 'number' && event.graceMs >= 0 ? Math.min(Math.floor(event.graceMs), MAX_DELAY_MS) : null
  const stopGraceMs = context.stopGraceMs === null ? grace : grace === null ? context.stopGraceMs : Math.min(grace, context.stopGraceMs)
  enqueue.assign({ stopReason: context.stopReason ?? 'requested', stopGraceMs })
})

const graceElapsed = base.enqueueActions(({ context, enqueue }) => {
  const reason: WireError = { code: 'AGENT_STOPPED', message: `agent "${context.name}" stopped: the task was aborted after the ${context.stopGraceMs ?? 0} ms stop grace period` }
  const plan = abortRunning(context, reason)
  for (const effect of plan.effects) enqueueEffect(context, enqueue, effect)
  enqueue.assign({ running: plan.running })
})

const TASK_OUTCOMES = ['task.done', 'task.failed', 'task.cancel', 'zerostate.task.done', 'zerostate.task.failed'] as const

/** The agent machine. Provide `startTask`, `abortTask`, `reply` (and `userLogic` for logic agents). */
export const agentMachine = base.createMachine({
  id: 'agent',
  context: ({ input }) => agentContextFromInput(input),
  initial: 'running',
  on: {
    'crash.expired': { actions: base.assign({ recentCrashes: ({ context }) => Math.max(0, context.recentCrashes - 1) }) },
    'task.cancel': { actions: settle },
    // a finished or failed child outside `running`/`stopping` needs no handling (but must not error the agent)
    'xstate.error.actor.logic': {},
    'xstate.done.actor.logic': {}
  },
  states: {
    running: {
      entry: [spawnLogic, dispatchQueued],
      initial: 'resume',
      states: {
        // entered on start and after a restart (which may have started queued tasks)
        resume: { always: [{ guard: 'hasRunning', target: 'busy' }, { target: 'idle' }] },
        // nothing runs and the mailbox is empty
        idle: {
          on: {
            'task.arrive': [
              { guard: 'hasLogic', target: 'busy', actions: startArrived },
              // the hot path of a function agent: plain actions, no planning
              {
                target: 'busy',
                actions: [
                  base.assign({ running: ({ event }) => event.type === 'task.arrive' ? [event.task] : [] }),
                  { type: 'startTask', params: ({ event }) => ({ task: event.task }) }
                ]
              }
            ]
          }
        },
        // at least one task runs
        busy: {
          on: {
            'task.arrive': [
              { guard: 'isDuplicate' },
              { guard: 'hasFreeSlot', actions: startArrived },
              { guard: 'mailboxFull', actions: rejectMailboxFull },
              { actions: enqueueArrived }
            ],
            'task.done': [
              {
                guard: 'settlesLastTask',
                target: 'idle',
                actions: [
                  { type: 'reply', params: ({ context, event }) => ({ task: context.running[0], result: { ok: true, output: event.output, cost: sanitizeCost(event.cost) }, outcome: 'succeeded' }) },
                  base.assign({ running: [] })
                ]
              },
              { actions: settleAndRefill }
            ],
            ...Object.fromEntries(TASK_OUTCOMES.filter(type => type !== 'task.done').map(type => [type, [
              { guard: 'settlesLastTask', target: 'idle', actions: settleAndRefill },
              { actions: settleAndRefill }
            ]]))
          }
        }
      },
      on: {
        'task.crashed': [
          { guard: { type: 'isRunningTask' }, target: '#agent.checkBudget', actions: recordCrash }
        ],
        'xstate.error.actor.logic': { target: '#agent.checkBudget', actions: recordCrash },
        'xstate.done.actor.logic': { target: '#agent.checkBudget', actions: recordCrash },
        'agent.stop': { target: 'stopping', actions: requestStop }
      }
    },
    checkBudget: {
      entry: base.stopChild('logic'),
      always: [
        { guard: 'restartBudgetSpent', target: 'stopped', actions: restartLimitReached },
        { target: 'restarting' }
      ]
    },
    restarting: {
      entry: [
        base.assign({ restarts: ({ context }) => context.restarts + 1 }),
        { type: 'agentRestarted', params: ({ context }) => ({ restarts: context.restarts, delayMs: context.backoffDelayMs }) }
      ],
      after: { backoff: 'running' },
      on: {
        'task.arrive': [
          { guard: 'isDuplicate' },
          { guard: 'mailboxFull', actions: rejectMailboxFull },
          { actions: enqueueArrived }
        ],
        'agent.stop': { target: 'stopped', actions: requestStop }
      }
    },
    stopping: {
      entry: stopQueued,
      always: { guard: 'noneRunning', target: 'stopped' },
      after: { stopGrace: { guard: 'graceLimited', target: 'stopped', actions: graceElapsed } },
      on: {
        'task.arrive': [{ guard: 'isDuplicate' }, { actions: arriveWhenStopped }],
        ...Object.fromEntries(TASK_OUTCOMES.map(type => [type, { actions: settle }])),
        'task.crashed': { actions: settle },
        'xstate.error.actor.logic': { actions: crashWhileStopping },
        'xstate.done.actor.logic': { actions: crashWhileStopping },
        'agent.stop': { target: 'stopping', reenter: true, actions: requestStop }
      }
    },
    stopped: {
      entry: [
        base.stopChild('logic'),
        stopQueued,
        { type: 'agentStopped', params: ({ context }) => context.stopReason === 'restart-limit' && context.lastError !== null ? { reason: 'restart-limit', error: context.lastError } : { reason: context.stopReason ?? 'requested' } }
      ],
      on: {
        'task.arrive': { actions: arriveWhenStopped }
      }
    }
  }
})

/** The agent machine's type. */
export type AgentMachine = typeof agentMachine
