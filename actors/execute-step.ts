/**
 * The `executeStep` actor that chain-run and dag-run machines invoke: one
 * attempt of one step through the node's {@link StepExecutor}. It hands the
 * actor's AbortSignal to the executor (the signal fires when the machine
 * leaves the running state: step timeout, cancellation, stop), times the
 * attempt, and turns the executor's rejection into plain data, so a machine
 * stores the outcome of every attempt in its context as is.
 */
import { fromPromise } from 'xstate'
import { errorToWire, type WireError } from '../src/errors.ts'
import type { StepExecutor, StepRequest } from '../src/workflow/step-executor.ts'

/** The outcome of one attempt, as plain data. Times are epoch milliseconds from the actor's clock. */
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

/** Options of {@link createExecuteStepActor}. */
export interface ExecuteStepActorOptions {
  /** Clock for `startedAt`/`finishedAt`. Default `Date`. */
  clock?: { now: () => number }
}

/**
 * Build the `executeStep` actor logic from the node's step executor. The
 * promise never rejects for a failed attempt: it resolves `{ ok: false, error }`.
 *
 * @example
 * ```ts
 * const logic = chainRunMachine.provide({
 *   actors: { executeStep: createExecuteStepActor(node.executeStep) }
 * })
 * ```
 */
export function createExecuteStepActor (executor: StepExecutor, options: ExecuteStepActorOptions = {}) {
  const clock = options.clock ?? Date
  return fromPromise<StepAttempt, StepRequest>(async ({ input, signal }) => {
    const startedAt = clock.now()
    try {
      const outcome = await executor(input, signal)
      return { ok: true, agentId: outcome.agentId, output: outcome.output, cost: outcome.cost, startedAt, finishedAt: clock.now() }
    } catch (err) {
      const error = errorToWire(err)
      const detailAgent = error.details?.agentId
      const agentId = typeof detailAgent === 'string' ? detailAgent : input.agentId
      return agentId === undefined
        ? { ok: false, error, startedAt, finishedAt: clock.now() }
        : { ok: false, error, agentId, startedAt, finishedAt: clock.now() }
    }
  })
}
