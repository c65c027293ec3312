/**
 * The `stepRunner` actor a dag-run invokes once per run: it runs every node
 * attempt by calling the attempt function ({@link createStepAttempt}) and
 * reports each outcome back.
 *
 * An attempt in flight costs the executor's promise and one `then`, not an
 * actor: a wide DAG with unlimited parallelism holds every node in flight at
 * once, and an XState actor per attempt (~4.5 KB) plus an AbortController
 * per attempt (~1 KB) was most of the memory such a run took. (Attempts are
 * not the dag-run's own children either: XState copies a machine's
 * `children` record on every spawn and stop, O(n) per attempt.)
 *
 * Signals: attempts share the runner's one AbortController, aborted when the
 * runner stops (the run leaves its running state: cancel, fail-fast,
 * workflow timeout). An attempt whose request has a `timeoutMs` also gets an
 * AbortController of its own, so that `step.stop` (the node timed out) tells
 * its executor to stop; that is the only attempt the run ever stops alone.
 * (The real executor also turns `timeoutMs` into the request's deadline.)
 *
 * Protocol: the run sends `step.start { key, request }` and
 * `step.stop { key }`; the runner answers `step.done { key, attempt }` (a
 * {@link StepAttempt}). Nothing is reported for a stopped attempt, nor after
 * the runner stopped. `step.stop` of an attempt without a timeout only drops
 * its report (its executor runs on until the run ends).
 */
import { fromCallback } from 'xstate'
import type { StepRequest } from '../src/workflow/step-executor.ts'
import type { StepAttempt, StepAttemptFunction } from './execute-step.ts'

/** What a run sends to its step runner. */
export type StepRunnerCommand =
  | { type: 'step.start', key: string, request: StepRequest }
  | { type: 'step.stop', key: string }

/** What the step runner sends back to its run. */
export interface StepRunnerReport { type: 'step.done', key: string, attempt: StepAttempt }

/**
 * Build the `stepRunner` logic from the attempt function.
 *
 * @example
 * ```ts
 * const logic = dagRunMachine.provide({
 *   actors: { stepRunner: createStepRunner(createStepAttempt(node.executeStep)) }
 * })
 * ```
 */
export function createStepRunner (runAttempt: StepAttemptFunction) {
  return fromCallback<StepRunnerCommand>(({ sendBack, receive }) => {
    const run = new AbortController()
    /** Attempts with a timeout still in flight, with their own controllers. */
    const timed = new Map<string, AbortController>()
    /** Stopped attempts still in flight: their reports are dropped. */
    const dropped = new Set<string>()
    const done = (key: string, attempt: StepAttempt): void => {
      if (run.signal.aborted || dropped.delete(key)) return
      timed.delete(key)
      sendBack({ type: 'step.done', key, attempt })
    }
    receive(event => {
      const { key } = event
      if (event.type === 'step.stop') {
        dropped.add(key)
        const own = timed.get(key)
        timed.delete(key)
        own?.abort()
        return
      }
      let signal = run.signal
      if (event.request.timeoutMs !== undefined) {
        const own = new AbortController()
        timed.set(key, own)
        signal = own.signal
      }
      runAttempt(key, event.request, signal, done)
    })
    return () => {
      run.abort()
      const owned = [...timed.values()]
      timed.clear()
      dropped.clear()
      for (const own of owned) own.abort()
    }
  })
}
