/**
 * Test harness for chain-run: a fake step executor whose attempts take
 * simulated time on a SimulatedClock, and a loop that advances the clock
 * until the run is over.
 */
import { SimulatedClock, createActor, type Actor } from 'xstate'
import { AbortedError } from '../../src/errors.ts'
import { createExecuteStepActor } from '../../actors/execute-step.ts'
import { chainRunMachine, type ChainRunEmitted } from '../../machines/chain-run.ts'
import { parseChain } from '../../src/chains/parse-chain.ts'
import type { ChainResult, ChainSpec } from '../../src/chains/chain-types.ts'
import type { StepExecutor, StepOutcome, StepRequest } from '../../src/workflow/step-executor.ts'

/** What the fake agent does with one attempt. */
export type FakeBehaviour =
  | { ok: true, output?: unknown, cost?: number, agentId?: string, duration?: number }
  | { ok: false, error: Error, duration?: number }
  | { hang: true }

export interface AttemptLog {
  request: StepRequest
  start: number
  end?: number
  aborted: boolean
}

export type ChainRunActor = Actor<typeof chainRunMachine>

/** A fake executor: `behave(request)` decides each attempt; defaults succeed at once with `{ step: id }`. */
export function createFakeExecutor (clock: SimulatedClock, behave: (request: StepRequest) => FakeBehaviour) {
  const attempts: AttemptLog[] = []
  const executor: StepExecutor = async (request, signal) => {
    const log: AttemptLog = { request, start: clock.now(), aborted: false }
    attempts.push(log)
    const plan = behave(request)
    return await new Promise<StepOutcome>((resolve, reject) => {
      const settle = (): void => {
        signal.removeEventListener('abort', onAbort)
        log.end = clock.now()
        if ('hang' in plan) return
        if (plan.ok) resolve({ agentId: plan.agentId ?? `agent-${request.stepId}`, output: plan.output ?? { step: request.stepId }, cost: plan.cost ?? 0 })
        else reject(plan.error)
      }
      const onAbort = (): void => {
        log.aborted = true
        log.end = clock.now()
        reject(new AbortedError())
      }
      signal.addEventListener('abort', onAbort, { once: true })
      if ('hang' in plan) return
      const duration = plan.duration ?? 0
      if (duration === 0) queueMicrotask(settle)
      else clock.setTimeout(settle, duration)
    })
  }
  return { executor, attempts }
}

/** Start a chain run on a simulated clock with a fake executor, recording emitted events. */
export function startChainRun (spec: ChainSpec | Record<string, unknown>, behave: (request: StepRequest) => FakeBehaviour = () => ({ ok: true })) {
  const clock = new SimulatedClock()
  const fake = createFakeExecutor(clock, behave)
  const logic = chainRunMachine.provide({ actors: { executeStep: createExecuteStepActor(fake.executor, { clock }) } })
  const actor = createActor(logic, { clock, input: { runId: 'run-1', chain: parseChain(spec) } })
  const events: ChainRunEmitted[] = []
  actor.on('*', event => { events.push(event) })
  actor.start()
  return { clock, actor, attempts: fake.attempts, events }
}

/** Let promise callbacks (and the events they send) run. */
export async function flush (): Promise<void> {
  await new Promise<void>(resolve => setImmediate(resolve))
}

/** Advance the clock `step` ms at a time until the run ends; returns its result. */
export async function runToEnd (actor: ChainRunActor, clock: SimulatedClock, options: { step?: number, limit?: number } = {}): Promise<ChainResult> {
  const step = options.step ?? 10
  const limit = options.limit ?? 1_000_000
  await flush()
  for (let t = 0; actor.getSnapshot().status === 'active' && t < limit; t += step) {
    clock.increment(step)
    await flush()
  }
  const snapshot = actor.getSnapshot()
  if (snapshot.status !== 'done') throw new Error(`run did not finish: ${snapshot.status} in ${JSON.stringify(snapshot.value)}`)
  return snapshot.output as ChainResult
}
