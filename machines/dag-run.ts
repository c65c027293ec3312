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
 * While running, every node attempt is a child spawned from the named actor
 * `executeStep` (input: a {@link StepRequest}); per-node timeouts, retry
 * backoffs and the workflow timeout are delayed events, so the simulated
 * clock drives them in tests. The scheduling itself lives in
 * `dag-schedule.ts`. Context is plain data: the spec, the graph as arrays,
 * and one small record per node.
 *
 * Pure: the only I/O is the `executeStep` actor, supplied with
 * `dagRunMachine.provide({ actors: { executeStep } })`.
 *
 * @example
 * ```ts
 * const logic = dagRunMachine.provide({ actors: { executeStep: createExecuteStepActor(executor) } })
 * const actor = createActor(logic, { input: { runId: 'run-1', spec } }).start()
 * const result = await toPromise(actor) // DagResult
 * ```
 */
import { enqueueActions, fromPromise, setup, type DoneActorEvent, type ErrorActorEvent } from 'xstate'
import { ZeroStateError, errorToWire, type WireError } from '../src/errors.ts'
import type { StepRequest } from '../src/workflow/step-executor.ts'
import type { StepAttempt } from '../actors/execute-step.ts'
import type { DagResult, DagRunStatus, DagSpec } from '../src/dags/dag-types.ts'
import { dagGraphError } from '../src/dags/validate-dag.ts'
import { analyseDag } from './dag-graph.ts'
import {
  buildDagResult, dispatch, failureError, haltRun, initialDagContext, isRunningAttempt, parseStepChildId,
  prepareRun, retryDue, stepChildId, stepFailed, stepSucceeded, type DagEffect, type DagRunContext
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
  | { type: 'workflow.timeout' }
  | { type: 'node.timeout', index: number, attempt: number }
  | { type: 'node.retry', index: number }
  | DoneActorEvent<StepAttempt>
  | ErrorActorEvent

type Operation =
  | { op: 'start' }
  | { op: 'event' }
  | { op: 'halt', status: Exclude<DagRunStatus, 'completed'> }
  | { op: 'complete' }

const WORKFLOW_TIMER = 'workflow-timeout'

export const dagRunMachine = setup({
  types: {
    context: {} as DagRunContext,
    input: {} as DagRunInput,
    events: {} as DagRunEvent,
    output: {} as DagResult
  },
  actors: {
    executeStep: fromPromise<StepAttempt, StepRequest>(async () => {
      throw new ZeroStateError('INTERNAL', 'dag-run: the executeStep actor was not provided')
    })
  },
  guards: {
    invalid: ({ context }) => context.error !== null,
    halted: ({ context }) => context.halted,
    allSucceeded: ({ context }) => context.settled === context.nodes.length && context.failedCount === 0,
    allSettled: ({ context }) => context.settled === context.nodes.length
  },
  actions: {
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
        case 'event':
          onEvent(ctx, event, fx)
          break
        case 'halt':
          if (ctx.spec.timeout !== undefined) enqueue.cancel(WORKFLOW_TIMER)
          if (ctx.graph === null) ctx.status = 'failed' // invalid spec: nothing ran
          else haltRun(ctx, operation.status, ...haltErrors(ctx, operation.status, event), fx)
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
            enqueue.spawnChild('executeStep', { id: effect.childId, input: effect.request })
            if (effect.timer !== undefined) {
              const { id, delay, index, attempt } = effect.timer
              enqueue.raise({ type: 'node.timeout', index, attempt }, { id, delay })
            }
            break
          case 'stop':
            enqueue.stopChild(effect.childId)
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
      entry: { type: 'schedule', params: { op: 'start' } },
      always: [
        { guard: 'halted', target: 'failed' },
        { guard: 'allSucceeded', target: 'completed' },
        { guard: 'allSettled', target: 'failed' }
      ],
      on: {
        'xstate.done.actor.*': { actions: { type: 'schedule', params: { op: 'event' } } },
        'xstate.error.actor.*': { actions: { type: 'schedule', params: { op: 'event' } } },
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
    const timeoutMs = ctx.spec.nodes[event.index]?.timeout
    fx.push({ type: 'stop', childId: stepChildId(event.index, event.attempt) })
    const error: WireError = {
      code: 'TIMEOUT',
      message: `node "${ctx.spec.nodes[event.index]?.id ?? ''}" attempt ${event.attempt} timed out after ${timeoutMs ?? 0} ms`,
      details: { timeoutMs }
    }
    stepFailed(ctx, event.index, event.attempt, { error }, fx)
  } else if ('actorId' in event) {
    const child = parseStepChildId(event.actorId)
    if (child === undefined) return
    if (!('output' in event)) stepFailed(ctx, child.index, child.attempt, { error: errorToWire(event.error) }, fx)
    else if (event.output.ok) stepSucceeded(ctx, child.index, child.attempt, event.output, fx)
    else stepFailed(ctx, child.index, child.attempt, event.output, fx)
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
  const runError = failureError(ctx)
  return [runError, { code: 'CANCELLED', message: `aborted: ${runError.message}` }]
}
