/**
 * One attempt of one workflow step through the node's {@link StepExecutor},
 * as a plain function ({@link createStepAttempt}, what the DAG step runner
 * calls directly) and as the `executeStep` actor that chain-run machines
 * invoke ({@link createExecuteStepActor}). Either way it hands a signal to
 * the executor (the actor's own signal, or the one the step runner chose),
 * times the attempt, and turns the executor's rejection into plain data, so
 * a machine stores the outcome of every attempt in its context as is.
 */
import { fromPromise } from 'xstate'
import { errorToWire, type WireError } from '../src/errors.ts'
import type { StepExecutor, StepRequest } from '../src/workflow/step-executor.ts'

/** The outcome of one attempt, as plain data. Times are epoch milliseconds from the given clock. */
export type StepAttempt =
  | { ok: true, agentId: string, output: unknown, cost: number, startedAt: number, finishedAt: number }
  | {
    ok: false
    error: WireError
    /** The agent that failed, when known (the request's agentId, or the error's `details.agentId`). */
    agentId?: string
    startedAt: number
    finishedAt: number
  }

/** Options of {@link createStepAttempt} and {@link createExecuteStepActor}. */
export interface ExecuteStepActorOptions {
  /** Clock for `startedAt`/`finishedAt`. Default `Date`. */
  clock?: { now: () => number }
  /** Called with every attempt's outcome as it settles (metrics, logs); what it throws is ignored. */
  onSettled?: (request: StepRequest, attempt: StepAttempt) => void
}

/**
 * Starts one attempt and calls `done(key, attempt)` exactly once with its
 * outcome; never throws, never rejects (a failed attempt is `{ ok: false }`).
 * `key` is only handed back to `done`, so that one `done` function serves
 * every attempt of a run: no closure per attempt.
 */
export type StepAttemptFunction = (key: string, request: StepRequest, signal: AbortSignal, done: (key: string, attempt: StepAttempt) => void) => void

/**
 * Build the attempt function from the node's step executor: no actor, no
 * signal of its own (the caller hands one in), and nothing in flight besides
 * the executor's own promise and one `then` on it (a wide DAG holds
 * thousands of attempts in flight at once).
 *
 * @example
 * ```ts
 * const attempt = createStepAttempt(node.executeStep)
 * attempt('k1', request, AbortSignal.timeout(5_000), (key, outcome) => {
 *   if (!outcome.ok) failures.set(key, outcome.error.code)
 * })
 * ```
 */
export function createStepAttempt (executor: StepExecutor, options: ExecuteStepActorOptions = {}): StepAttemptFunction {
  const clock = options.clock ?? Date
  const { onSettled } = options
  const settle = (key: string, request: StepRequest, attempt: StepAttempt, done: (key: string, attempt: StepAttempt) => void): void => {
    if (onSettled !== undefined) {
      try { onSettled(request, attempt) } catch { /* an observer must not change the attempt's outcome */ }
    }
    done(key, attempt)
  }
  return (key, request, signal, done) => {
    const startedAt = clock.now()
    try {
      executor(request, signal).then(
        outcome => { settle(key, request, { ok: true, agentId: outcome.agentId, output: outcome.output, cost: outcome.cost, startedAt, finishedAt: clock.now() }, done) },
        (err: unknown) => { settle(key, request, failedAttempt(request, err, startedAt, clock.now()), done) }
      )
    } catch (err) { // the executor threw instead of rejecting, or returned no promise
      settle(key, request, failedAttempt(request, err, startedAt, clock.now()), done)
    }
  }
}

function failedAttempt (request: StepRequest, err: unknown, startedAt: number, finishedAt: number): StepAttempt {
  const error = errorToWire(err)
  const detailAgent = error.details?.agentId
  const agentId = typeof detailAgent === 'string' ? detailAgent : request.agentId
  return agentId === undefined ? { ok: false, error, startedAt, finishedAt } : { ok: false, error, agentId, startedAt, finishedAt }
}

/**
 * Build the `executeStep` actor logic from the node's step executor. The
 * actor's AbortSignal (fired when the machine leaves the state that invoked
 * it: step timeout, cancellation, stop) goes to the executor. The promise
 * never rejects for a failed attempt: it resolves `{ ok: false, error }`.
 *
 * @example
 * ```ts
 * const logic = chainRunMachine.provide({
 *   actors: { executeStep: createExecuteStepActor(node.executeStep) }
 * })
 * ```
 */
export function createExecuteStepActor (executor: StepExecutor, options: ExecuteStepActorOptions = {}) {
  const attempt = createStepAttempt(executor, options)
  return fromPromise<StepAttempt, StepRequest>(async ({ input, signal }) => await new Promise(resolve => { attempt(input.stepId, input, signal, (_key, outcome) => { resolve(outcome) }) }))
}
