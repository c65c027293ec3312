/**
 * The dag-run machine: one actor per DAG workflow run.
 *
 * ```
 * validating ──invalid──► failed
 *     │
 *     ▼
 *  running ──all nodes settled, none failed──► completed
 *     │  ├──a node failed (fail-fast) / settled with failures──► failed
 *     │  ├──cancel──► cancelled
 *     │  └──workflow.timeout──► timedOut
 * ```
 *
 * While running, the run invokes the named actor `stepRunner` (id `steps`)
 * and sends it one `step.start { key, request }` per node attempt (a
 * {@link StepRequest}); the runner runs it with the attempt function and
 * answers `step.done { key, attempt }`. (Attempts are not spawned as this
 * machine's own children: XState copies a machine's children record on each
 * spawn, which is O(n) per attempt for a wide DAG.) Per-node timeouts, retry
 * backoffs and the workflow timeout are delayed events, so the simulated
 * clock drives them in tests. The scheduling itself lives in
 * `dag-schedule.ts`. Context is plain data: the spec, the graph as arrays,
 * and one small record per node.
 *
 * Resuming: `actor.getPersistedSnapshot()` can be stored and given back to
 * `createActor(logic, { snapshot })`; then send `RESUME` once. XState does
 * not persist delayed events and the attempts in flight died with the old
 * step runner, so `RESUME` starts every running node's attempt again with
 * the same attempt number (the same message id: an attempt that already ran
 * is answered from the EXACTLY_ONCE cache), re-arms node timeouts, restarts
 * retry backoffs, and re-arms the workflow timeout in full.
 *
 * Pure: the only I/O is the `stepRunner` actor, supplied with
 * `dagRunMachine.provide({ actors: { stepRunner } })`.
 *
 * @example
 * ```ts
 * const logic = dagRunMachine.provide({
 *   actors: { stepRunner: createStepRunner(createStepAttempt(executor)) }
 * })
 * const actor = createActor(logic, { input: { runId: 'run-1', spec } }).start()
 * const result = await toPromise(actor) // DagResult
 * ```
 */
import { assign, enqueueActions, fromCallback, raise, setup } from 'xstate'
import { ZeroStateError, errorToWire, type WireError } from '../src/errors.ts'
import type { StepRunnerCommand, StepRunnerReport } from '../actors/step-runner.ts'
import type { DagResult, DagRunStatus, DagSpec } from '../src/dags/dag-types.ts'
import { dagGraphError } from '../src/dags/validate-dag.ts'
import { analyseDag } from './dag-graph.ts'
import { buildDagResult } from './dag-result.ts'
import { parseStepChildId, stepChildId } from './dag-attempt.ts'
import {
  dispatch, failureError, haltRun, initialDagContext, isRunningAttempt,
  prepareRun, resumeRun, retryDue, stepFailed, stepSucceeded, type DagEffect, type DagRunContext
} from './dag-schedule.ts'

/** What a dag-run starts from. */
export interface DagRunInput {
  runId: string
  /** A spec as {@link parseDag} returns it. */
  spec: DagSpec
}

/** Events a dag-run accepts (besides its children's done and error events). */
export type DagRunEvent =
  | { type: 'cancel', reason?: string }
  | { type: 'run.start' }
  /** Sent once to a run restored from a persisted snapshot: restarts its attempts in flight and re-arms its timers. */
  | { type: 'RESUME' }
  | { type: 'workflow.timeout' }
  | { type: 'node.timeout', index: number, attempt: number }
  | { type: 'node.retry', index: number }
  | StepRunnerReport

type Operation =
  | { op: 'start' }
  | { op: 'resume' }
  | { op: 'event' }
  | { op: 'halt', status: Exclude<DagRunStatus, 'completed'> }
  | { op: 'complete' }

const WORKFLOW_TIMER = 'workflow-timeout'
const RUNNER = 'steps'

export const dagRunMachine = setup({
  types: {
    context: {} as DagRunContext,
    input: {} as DagRunInput,
    events: {} as DagRunEvent,
    output: {} as DagResult
  },
  actors: {
    stepRunner: fromCallback<StepRunnerCommand>(() => {
      throw new ZeroStateError('INTERNAL', 'dag-run: the stepRunner actor was not provided')
    })
  },
  guards: {
    invalid: ({ context }) => context.error !== null,
    halted: ({ context }) => context.halted,
    allSucceeded: ({ context }) => context.settled === context.nodes.length && context.failedCount === 0,
    allSettled: ({ context }) => context.settled === context.nodes.length
  },
  actions: {
    runnerCrashed: assign({ error: ({ event }) => errorToWire('error' in event ? event.error : undefined) }),
    validate: enqueueActions(({ context, enqueue }) => {
      const analysis = analyseDag(context.spec.nodes)
      const next = { ...context }
      if (analysis.ok) prepareRun(next, analysis.graph)
      else next.error = dagGraphError(analysis.problems).toWire()
      enqueue.assign(() => next)
    }),
    schedule: enqueueActions(({ context, event, enqueue }, operation: Operation) => {
      const ctx: DagRunContext = { ...context }
      const fx: DagEffect[] = []
      switch (operation.op) {
        case 'start':
          if (ctx.spec.timeout !== undefined) enqueue.raise({ type: 'workflow.timeout' }, { id: WORKFLOW_TIMER, delay: ctx.spec.timeout })
          dispatch(ctx, fx)
          break
        case 'resume':
          if (ctx.spec.timeout !== undefined) {
            enqueue.cancel(WORKFLOW_TIMER)
            enqueue.raise({ type: 'workflow.timeout' }, { id: WORKFLOW_TIMER, delay: ctx.spec.timeout })
          }
          resumeRun(ctx, fx)
          break
        case 'event':
          onEvent(ctx, event, fx)
          break
        case 'halt':
          if (ctx.spec.timeout !== undefined) enqueue.cancel(WORKFLOW_TIMER)
          if (ctx.graph === null) ctx.status = 'failed' // invalid spec: nothing ran
          else haltRun(ctx, operation.status, ...haltErrors(ctx, operation.status, event), fx) // the runner, stopped on exit from running, aborted the attempts
          break
        case 'complete':
          if (ctx.spec.timeout !== undefined) enqueue.cancel(WORKFLOW_TIMER)
          ctx.status = 'completed'
          break
      }
      enqueue.assign(() => ctx)
      for (const effect of fx) {
        switch (effect.type) {
          case 'start':
            enqueue.sendTo(RUNNER, { type: 'step.start', key: effect.childId, request: effect.request })
            if (effect.timer !== undefined) {
              const { id, delay, index, attempt } = effect.timer
              enqueue.raise({ type: 'node.timeout', index, attempt }, { id, delay })
            }
            break
          case 'stop':
            enqueue.sendTo(RUNNER, { type: 'step.stop', key: effect.childId })
            break
          case 'retryLater':
            enqueue.raise({ type: 'node.retry', index: effect.index }, { id: effect.timerId, delay: effect.delay })
            break
          case 'cancelTimer':
            enqueue.cancel(effect.timerId)
            break
        }
      }
    })
  }
}).createMachine({
  id: 'dag-run',
  context: ({ input }) => initialDagContext(input.runId, input.spec),
  initial: 'validating',
  states: {
    validating: {
      entry: 'validate',
      always: [
        { guard: 'invalid', target: 'failed' },
        { target: 'running' }
      ]
    },
    running: {
      invoke: {
        id: RUNNER,
        src: 'stepRunner',
        onError: { target: 'failed', actions: 'runnerCrashed' }
      },
      // the runner exists once the state is entered: start nodes on the next microstep
      entry: raise({ type: 'run.start' }),
      always: [
        { guard: 'halted', target: 'failed' },
        { guard: 'allSucceeded', target: 'completed' },
        { guard: 'allSettled', target: 'failed' }
      ],
      on: {
        'run.start': { actions: { type: 'schedule', params: { op: 'start' } } },
        RESUME: { actions: { type: 'schedule', params: { op: 'resume' } } },
        'step.done': { actions: { type: 'schedule', params: { op: 'event' } } },
        'node.timeout': { actions: { type: 'schedule', params: { op: 'event' } } },
        'node.retry': { actions: { type: 'schedule', params: { op: 'event' } } },
        'workflow.timeout': { target: 'timedOut' },
        cancel: { target: 'cancelled' }
      }
    },
    completed: { type: 'final', entry: { type: 'schedule', params: { op: 'complete' } } },
    failed: { type: 'final', entry: { type: 'schedule', params: { op: 'halt', status: 'failed' } } },
    cancelled: { type: 'final', entry: { type: 'schedule', params: { op: 'halt', status: 'cancelled' } } },
    timedOut: { type: 'final', entry: { type: 'schedule', params: { op: 'halt', status: 'timed_out' } } }
  },
  output: ({ context }) => buildDagResult(context)
})

/** Route one running-state event to the scheduler. */
function onEvent (ctx: DagRunContext, event: DagRunEvent, fx: DagEffect[]): void {
  if (event.type === 'node.retry') {
    retryDue(ctx, event.index, fx)
  } else if (event.type === 'node.timeout') {
    if (!isRunningAttempt(ctx, event.index, event.attempt)) return
    fx.push({ type: 'stop', childId: stepChildId(event.index, event.attempt) })
    const timeoutMs = ctx.spec.nodes[event.index]?.timeout
    const error: WireError = {
      code: 'TIMEOUT',
      message: `node "${ctx.spec.nodes[event.index]?.id ?? ''}" attempt ${event.attempt} timed out after ${timeoutMs ?? 0} ms`,
      details: { timeoutMs }
    }
    stepFailed(ctx, event.index, event.attempt, { error }, fx)
  } else if (event.type === 'step.done') {
    const child = parseStepChildId(event.key)
    if (child === undefined) return
    if (event.attempt.ok) stepSucceeded(ctx, child.index, child.attempt, event.attempt, fx)
    else stepFailed(ctx, child.index, child.attempt, event.attempt, fx)
  }
}

/** The run's error and the error of its aborted nodes, for each way a run can stop early. */
function haltErrors (ctx: DagRunContext, status: Exclude<DagRunStatus, 'completed'>, event: DagRunEvent): [WireError | null, WireError] {
  if (status === 'cancelled') {
    const reason = event.type === 'cancel' && event.reason !== undefined ? event.reason : 'run cancelled'
    return [{ code: 'CANCELLED', message: reason }, { code: 'CANCELLED', message: reason }]
  }
  if (status === 'timed_out') {
    const error: WireError = { code: 'WORKFLOW_TIMEOUT', message: `workflow timed out after ${ctx.spec.timeout ?? 0} ms`, details: { timeoutMs: ctx.spec.timeout } }
    return [error, error]
  }
  const runError = ctx.firstFailure < 0 && ctx.error !== null ? ctx.error : failureError(ctx)
  return [runError, { code: 'CANCELLED', message: `aborted: ${runError.message}` }]
}
