/**
 * The `stepRunner` actor a dag-run invokes once per run: it runs every node
 * attempt as an actor of the `executeStep` logic and reports each outcome
 * back.
 *
 * Why not spawn each attempt as a child of the dag-run machine itself: XState
 * copies a machine's `children` record on every spawn and stop, so a run with
 * thousands of attempts in flight (a wide DAG with unlimited parallelism)
 * would cost O(n) per attempt, O(n²) per run. The runner keeps its attempts
 * in a Map: O(1) per attempt.
 *
 * Protocol: the run sends `step.start { key, request }` and
 * `step.stop { key }`; the runner answers `step.done { key, attempt }` (a
 * {@link StepAttempt}) or, should the attempt actor itself crash,
 * `step.crashed { key, error }`. Stopping the runner stops (aborts) every
 * attempt still in flight.
 */
import { createActor, fromCallback, type ActorRefFrom, type PromiseActorLogic } from 'xstate'
import { errorToWire, type WireError } from '../src/errors.ts'
import type { StepRequest } from '../src/workflow/step-executor.ts'
import type { StepAttempt } from './execute-step.ts'

/** What a run sends to its step runner. */
export type StepRunnerCommand =
  | { type: 'step.start', key: string, request: StepRequest }
  | { type: 'step.stop', key: string }

/** What the step runner sends back to its run. */
export type StepRunnerReport =
  | { type: 'step.done', key: string, attempt: StepAttempt }
  | { type: 'step.crashed', key: string, error: WireError }

/** Logic that runs one attempt: `createExecuteStepActor(executor)`. */
export type ExecuteStepLogic = PromiseActorLogic<StepAttempt, StepRequest>

/**
 * Build the `stepRunner` logic from the `executeStep` logic.
 *
 * @example
 * ```ts
 * const logic = dagRunMachine.provide({
 *   actors: { stepRunner: createStepRunner(createExecuteStepActor(node.executeStep)) }
 * })
 * ```
 */
export function createStepRunner (executeStep: ExecuteStepLogic) {
  return fromCallback<StepRunnerCommand>(({ sendBack, receive }) => {
    const attempts = new Map<string, ActorRefFrom<ExecuteStepLogic>>()
    receive(event => {
      if (event.type === 'step.start') {
        const { key } = event
        const actor = createActor(executeStep, { id: key, input: event.request })
        attempts.set(key, actor)
        actor.subscribe({
          complete: () => {
            const attempt = actor.getSnapshot().output
            if (attempts.delete(key) && attempt !== undefined) sendBack({ type: 'step.done', key, attempt })
          },
          error: (err: unknown) => {
            if (attempts.delete(key)) sendBack({ type: 'step.crashed', key, error: errorToWire(err) })
          }
        })
        actor.start()
      } else {
        const actor = attempts.get(event.key)
        attempts.delete(event.key)
        actor?.stop()
      }
    })
    return () => {
      const running = [...attempts.values()]
      attempts.clear()
      for (const actor of running) actor.stop()
    }
  })
}
