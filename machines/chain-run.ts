/**
 * The chain-run machine: one actor per run of a task chain (DESIGN.md §7,
 * docs/TASK_CHAINING.md).
 *
 * ```
 *            ┌──────────── skip / refuse (budget, mapping) ─────────────┐
 *            ▼                                                          │
 *   ┌──► selecting ──run──► running ──done/error/timeout──► settling ──┤
 *   │        │                 ▲                                │       │
 *   │        │                 └──retry delay── retrying ◄──────┘       │
 *   │        ├──all steps decided, healthy──► completed                 │
 *   │        └──all steps decided, failing──► failed                    │
 *   └───────────────────────────────────────────────────────────────────┘
 *   CANCEL (from running or retrying) ──► cancelled
 * ```
 *
 * Resuming: context is plain data, so `actor.getPersistedSnapshot()` can be
 * stored and given back to `createActor(logic, { snapshot })`; then send
 * `RESUME`, because XState does not persist delayed events (step timeout,
 * retry backoff).
 *
 * `selecting` decides the next step (its condition against the run's
 * health, the budget, the input mapping) and builds the request that selects
 * its agent: a fixed `agentId`, or `capabilities` with the agents that failed
 * earlier attempts in `avoidAgents`. `running` invokes the named actor
 * `executeStep` (see actors/execute-step.ts); leaving the state (timeout,
 * cancel) aborts the attempt's AbortSignal. Timeouts and retry backoff are
 * XState delays, so a SimulatedClock drives them in tests.
 *
 * Progress is reported with emitted events (`step.started`, `step.retrying`,
 * `step.finished`), which the chain service turns into logs and metrics.
 *
 * @example
 * ```ts
 * const logic = chainRunMachine.provide({ actors: { executeStep: createExecuteStepActor(executor) } })
 * const actor = createActor(logic, { input: { runId: 'run-1', chain: parseChain(spec) } }).start()
 * const result = await toPromise(actor) // ChainResult
 * ```
 */
import { enqueueActions, fromPromise, setup, type DoneActorEvent, type ErrorActorEvent } from 'xstate'
import { ZeroStateError, type WireError } from '../src/errors.ts'
import type { StepAttempt } from '../actors/execute-step.ts'
import type { ChainPlan, ChainResult, ChainStepResult, ChainStatus } from '../src/chains/chain-types.ts'
import type { StepRequest } from '../src/workflow/step-executor.ts'
import { backoffDelay, isRetryable } from '../src/workflow/retry-policy.ts'
import { addCharge } from '../src/workflow/budget.ts'
import {
  chainResult, conditionHolds, initialChainContext, planStep, settleAttempt, stepRequest,
  type ChainRunContext, type ChainStepState, type SettledAttempt
} from './chain-steps.ts'

export type { ChainRunContext } from './chain-steps.ts'

/** What a run starts from. */
export interface ChainRunInput {
  runId: string
  /** A validated chain (see `parseChain`). */
  chain: ChainPlan
}

/** Events a caller may send. */
export type ChainRunEvent =
  | { type: 'CANCEL', reason?: string }
  /**
   * After restoring a persisted snapshot: re-arm the current state's timers
   * (XState does not persist delayed events). In `running` the attempt is
   * restarted with the same attempt number, hence the same message id; in
   * `retrying` the backoff starts again.
   */
  | { type: 'RESUME' }
  /** Internal: the attempt's timeout (raised with a delay only when the step has one). */
  | { type: 'STEP_TIMEOUT', attempt: number }
  | DoneActorEvent<StepAttempt>
  | ErrorActorEvent

/** Progress events (`actor.on(type, handler)`). */
export type ChainRunEmitted =
  | { type: 'step.started', runId: string, stepId: string, stepName: string, index: number, attempt: number, request: StepRequest }
  | { type: 'step.retrying', runId: string, stepId: string, stepName: string, index: number, attempt: number, delayMs: number, error: WireError }
  | { type: 'step.finished', runId: string, index: number, step: ChainStepResult }

const CANCELLED_MESSAGE = 'chain run cancelled'
const STEP_TIMER = 'chain-step-timeout'

export const chainRunMachine = setup({
  types: {
    context: {} as ChainRunContext,
    input: {} as ChainRunInput,
    events: {} as ChainRunEvent,
    emitted: {} as ChainRunEmitted,
    output: {} as ChainResult
  },
  actors: {
    executeStep: fromPromise<StepAttempt, StepRequest>(async () => {
      throw new ZeroStateError('INTERNAL', 'chain-run: the executeStep actor was not provided')
    })
  },
  delays: {
    retryDelay: ({ context }) => backoffDelay(currentStep(context).retry, context.attempt)
  },
  guards: {
    finishedHealthy: ({ context }) => context.index >= context.chain.steps.length && context.healthy,
    finished: ({ context }) => context.index >= context.chain.steps.length,
    skips: ({ context }) => !conditionHolds(currentStep(context).condition, context.healthy),
    refused: ({ context }) => planStep(context).kind === 'refuse',
    currentAttempt: ({ context, event }) => event.type === 'STEP_TIMEOUT' && event.attempt === context.attempt,
    attemptSucceeded: ({ context }) => context.lastAttempt?.ok === true,
    mayRetry: ({ context }) => {
      const last = context.lastAttempt
      return last !== null && !last.ok && isRetryable(last.error) && context.attempt < currentStep(context).retry.maxAttempts
    }
  },
  actions: {
    skipStep: enqueueActions(({ context, enqueue }) => {
      const next = withStep(context, { status: 'skipped' })
      enqueue.assign({ ...next, index: context.index + 1 })
      enqueue.emit(finishedEvent(next, context.index))
    }),
    refuseStep: enqueueActions(({ context, enqueue }) => {
      const plan = planStep(context)
      if (plan.kind !== 'refuse') return
      const next = failed(context, plan.error)
      enqueue.assign(next)
      enqueue.emit(finishedEvent(next, context.index))
    }),
    beginStep: enqueueActions(({ context, enqueue }) => {
      const plan = planStep(context)
      if (plan.kind !== 'run') return
      const grant = plan.grant ?? null
      const request = stepRequest(context, currentStep(context), plan.input, 1, grant, [])
      enqueue.assign({ ...withStep(context, { status: 'running' }), attempt: 1, grant, avoidAgents: [], request, lastAttempt: null })
    }),
    nextAttempt: enqueueActions(({ context, enqueue }) => {
      const attempt = context.attempt + 1
      const request = stepRequest(context, currentStep(context), context.request?.input ?? {}, attempt, context.grant, context.avoidAgents)
      enqueue.assign({ attempt, request, lastAttempt: null })
    }),
    startAttempt: enqueueActions(({ context, enqueue }) => {
      if (context.request === null) return
      const step = currentStep(context)
      const timeoutMs = context.request.timeoutMs
      if (timeoutMs !== undefined) enqueue.raise({ type: 'STEP_TIMEOUT', attempt: context.attempt }, { id: STEP_TIMER, delay: timeoutMs })
      enqueue.emit({ type: 'step.started', runId: context.runId, stepId: step.id, stepName: step.name, index: context.index, attempt: context.attempt, request: context.request })
    }),
    recordAttempt: enqueueActions(({ context, event, enqueue }) => {
      const attempt = (event as DoneActorEvent<StepAttempt>).output
      const settled = settleAttempt(attempt, context.grant)
      enqueue.assign(recorded(context, settled, attempt.startedAt, attempt.finishedAt))
    }),
    recordCrash: enqueueActions(({ context, event, enqueue }) => {
      const error = (event as ErrorActorEvent).error
      const message = error instanceof Error ? error.message : String(error)
      enqueue.assign(recorded(context, { ok: false, error: { code: 'INTERNAL', message }, charged: 0 }))
    }),
    recordTimeout: enqueueActions(({ context, enqueue }) => {
      const timeoutMs = context.request?.timeoutMs ?? 0
      const error: WireError = { code: 'TIMEOUT', message: `step "${currentStep(context).id}" timed out after ${timeoutMs} ms`, details: { timeoutMs } }
      const agentId = context.request?.agentId
      enqueue.assign(recorded(context, agentId === undefined ? { ok: false, error, charged: 0 } : { ok: false, error, agentId, charged: 0 }))
    }),
    prepareRetry: enqueueActions(({ context, enqueue }) => {
      const last = context.lastAttempt
      if (last === null || last.ok) return
      const step = currentStep(context)
      const avoid = last.agentId !== undefined && step.capabilities !== undefined && !context.avoidAgents.includes(last.agentId)
      if (avoid) enqueue.assign({ avoidAgents: [...context.avoidAgents, last.agentId as string] })
      const delayMs = backoffDelay(step.retry, context.attempt)
      enqueue.emit({ type: 'step.retrying', runId: context.runId, stepId: step.id, stepName: step.name, index: context.index, attempt: context.attempt, delayMs, error: last.error })
    }),
    succeedStep: enqueueActions(({ context, enqueue }) => {
      const last = context.lastAttempt
      if (last === null || !last.ok) return
      const recovered = !context.healthy && currentStep(context).condition === 'on_failure'
      const next: ChainRunContext = {
        ...withStep(context, { status: 'succeeded', output: last.output }),
        lastSucceeded: context.index,
        healthy: context.healthy || recovered,
        failure: recovered ? null : context.failure,
        index: context.index + 1,
        request: null
      }
      enqueue.assign(next)
      enqueue.emit(finishedEvent(next, context.index))
    }),
    failStep: enqueueActions(({ context, enqueue }) => {
      const last = context.lastAttempt
      if (last === null || last.ok) return
      const next = { ...failed(context, last.error), request: null }
      enqueue.assign(next)
      enqueue.emit(finishedEvent(next, context.index))
    }),
    cancelRun: enqueueActions(({ context, event, enqueue }) => {
      const reason = event.type === 'CANCEL' && event.reason !== undefined ? `${CANCELLED_MESSAGE}: ${event.reason}` : CANCELLED_MESSAGE
      const error: WireError = { code: 'CANCELLED', message: reason }
      const step = currentStep(context)
      const running = context.steps[context.index]?.status === 'running'
      const next: ChainRunContext = running
        ? { ...withStep(context, { status: 'failed', error }), failure: { stepId: step.id, error }, request: null }
        : { ...context, failure: { stepId: step?.id ?? '', error } }
      enqueue.assign(next)
      if (running) enqueue.emit(finishedEvent(next, context.index))
    }),
    cancelStepTimer: enqueueActions(({ context, enqueue }) => {
      if (context.request?.timeoutMs !== undefined) enqueue.cancel(STEP_TIMER)
    }),
    markStatus: enqueueActions(({ enqueue }, status: ChainStatus) => {
      enqueue.assign({ status })
    })
  }
}).createMachine({
  id: 'chain-run',
  context: ({ input }) => initialChainContext(input.runId, input.chain),
  initial: 'selecting',
  on: {
    CANCEL: { target: '.cancelled', actions: 'cancelRun' }
  },
  states: {
    selecting: {
      always: [
        { guard: 'finishedHealthy', target: 'completed' },
        { guard: 'finished', target: 'failed' },
        { guard: 'skips', actions: 'skipStep', target: 'selecting', reenter: true },
        { guard: 'refused', actions: 'refuseStep', target: 'selecting', reenter: true },
        { actions: 'beginStep', target: 'running' }
      ]
    },
    running: {
      entry: 'startAttempt',
      exit: 'cancelStepTimer',
      on: {
        RESUME: { target: 'running', reenter: true },
        STEP_TIMEOUT: { guard: 'currentAttempt', actions: 'recordTimeout', target: 'settling' }
      },
      invoke: {
        src: 'executeStep',
        input: ({ context }) => context.request as StepRequest,
        onDone: { actions: 'recordAttempt', target: 'settling' },
        onError: { actions: 'recordCrash', target: 'settling' }
      }
    },
    settling: {
      always: [
        { guard: 'attemptSucceeded', actions: 'succeedStep', target: 'selecting' },
        { guard: 'mayRetry', actions: 'prepareRetry', target: 'retrying' },
        { actions: 'failStep', target: 'selecting' }
      ]
    },
    retrying: {
      on: { RESUME: { target: 'retrying', reenter: true } },
      after: {
        retryDelay: { actions: 'nextAttempt', target: 'running' }
      }
    },
    completed: { type: 'final', entry: { type: 'markStatus', params: 'completed' } },
    failed: { type: 'final', entry: { type: 'markStatus', params: 'failed' } },
    cancelled: { type: 'final', entry: { type: 'markStatus', params: 'cancelled' } }
  },
  output: ({ context }) => chainResult(context)
})

function currentStep (context: ChainRunContext) {
  return context.chain.steps[context.index] as ChainPlan['steps'][number]
}

/** The context with the current step's record updated. */
function withStep (context: ChainRunContext, patch: Partial<ChainStepState>): ChainRunContext {
  const steps = context.steps.slice()
  steps[context.index] = { ...steps[context.index] as ChainStepState, ...patch }
  return { ...context, steps }
}

/** Record a settled attempt on the current step (attempts, agent, cost, times) and the run's total cost. */
function recorded (context: ChainRunContext, settled: SettledAttempt, startedAt?: number, finishedAt?: number): Partial<ChainRunContext> {
  const step = context.steps[context.index] as ChainStepState
  const patch: Partial<ChainStepState> = { attempts: context.attempt, cost: step.cost + settled.charged }
  if (settled.agentId !== undefined) patch.agentId = settled.agentId
  if (step.startedAt === undefined && startedAt !== undefined) patch.startedAt = startedAt
  if (finishedAt !== undefined) patch.finishedAt = finishedAt
  const next = withStep(context, patch)
  return { steps: next.steps, spent: addCharge(context.spent, settled.charged, context.chain.totalBudget), lastAttempt: settled }
}

/** The current step failed: the run becomes failing (keeping the first failure as its cause). */
function failed (context: ChainRunContext, error: WireError): ChainRunContext {
  const step = currentStep(context)
  return {
    ...withStep(context, { status: 'failed', error }),
    healthy: false,
    failure: context.healthy || context.failure === null ? { stepId: step.id, error } : context.failure,
    index: context.index + 1
  }
}

function finishedEvent (context: ChainRunContext, index: number): ChainRunEmitted {
  const state = context.steps[index] as ChainStepState
  const status = state.status === 'running' || state.status === 'pending' ? 'failed' : state.status
  return { type: 'step.finished', runId: context.runId, index, step: { ...state, status } }
}
