/**
 * Test harness for dag-run: a fake step executor driven by a SimulatedClock
 * that records when each node attempt started and ended, and a loop that
 * advances the clock until the run is over.
 */
import { SimulatedClock, createActor, type Actor, type Snapshot } from 'xstate'
import { AbortedError, TaskError } from '../../src/errors.ts'
import { createStepAttempt } from '../../actors/execute-step.ts'
import { createStepRunner } from '../../actors/step-runner.ts'
import { dagRunMachine } from '../../machines/dag-run.ts'
import type { DagResult, DagSpec } from '../../src/dags/dag-types.ts'
import type { StepExecutor, StepRequest } from '../../src/workflow/step-executor.ts'

/** How the fake agent treats one node: how long each attempt takes, and how many attempts fail first. */
export interface NodeBehaviour {
  duration: number
  /** Attempts that fail before one succeeds; Infinity = always fails. Default 0. */
  failures?: number
  /** Failures are TaskErrors with this retryability. Default true. */
  retryable?: boolean
  cost?: number
  output?: unknown
}

export interface AttemptRecord {
  nodeId: string
  attempt: number
  input: Record<string, unknown>
  request: StepRequest
  start: number
  end?: number
  outcome?: 'succeeded' | 'failed' | 'aborted'
}

export interface FakeExecutor {
  executor: StepExecutor
  attempts: AttemptRecord[]
  readonly running: number
  readonly maxRunning: number
}

/** A SimulatedClock that knows when its next timer is due, so a test can jump from one event to the next. */
export class SteppingClock extends SimulatedClock {
  private readonly due = new Map<number, number>()

  override setTimeout (fn: (...args: any[]) => void, timeout: number): number {
    const id: number = super.setTimeout(() => {
      this.due.delete(id)
      fn()
    }, timeout)
    this.due.set(id, this.now() + timeout)
    return id
  }

  override clearTimeout (id: number): void {
    this.due.delete(id)
    super.clearTimeout(id)
  }

  /** When the next timer fires, or undefined when none is pending. */
  nextDue (): number | undefined {
    let next: number | undefined
    for (const at of this.due.values()) if (next === undefined || at < next) next = at
    return next
  }
}

/** A fake executor whose attempts take simulated time on `clock`. */
export function createFakeExecutor (clock: SimulatedClock, behaviour: (nodeId: string) => NodeBehaviour): FakeExecutor {
  const attempts: AttemptRecord[] = []
  let running = 0
  let maxRunning = 0
  const executor: StepExecutor = async (request, signal) => {
    const plan = behaviour(request.stepId)
    const record: AttemptRecord = { nodeId: request.stepId, attempt: request.attempt, input: request.input, request, start: clock.now() }
    attempts.push(record)
    running++
    maxRunning = Math.max(maxRunning, running)
    return await new Promise((resolve, reject) => {
      const finish = (outcome: 'succeeded' | 'failed' | 'aborted'): void => {
        running--
        record.end = clock.now()
        record.outcome = outcome
      }
      const timer = clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        if (request.attempt <= (plan.failures ?? 0)) {
          finish('failed')
          reject(new TaskError(`${request.stepId} failed`, { retryable: plan.retryable ?? true }))
        } else {
          finish('succeeded')
          resolve({ agentId: `agent-of-${request.stepId}`, output: plan.output ?? { from: request.stepId }, cost: plan.cost ?? 0 })
        }
      }, plan.duration)
      const onAbort = (): void => {
        clock.clearTimeout(timer)
        finish('aborted')
        reject(new AbortedError())
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
  return {
    executor,
    attempts,
    get running () { return running },
    get maxRunning () { return maxRunning }
  }
}

/** Let promise callbacks (and the events they send) run. */
export async function flush (): Promise<void> {
  await new Promise<void>(resolve => setImmediate(resolve))
}

export type DagRunActor = Actor<typeof dagRunMachine>

/** Start a dag-run on a simulated clock with a fake executor. */
export function startDagRun (spec: DagSpec, behaviour: (nodeId: string) => NodeBehaviour, runId = 'run-1') {
  return createDagRun(spec, behaviour, runId)
}

/** Restore a dag-run from a persisted snapshot on a fresh simulated clock and fake executor (send it RESUME). */
export function restoreDagRun (snapshot: Snapshot<unknown>, spec: DagSpec, behaviour: (nodeId: string) => NodeBehaviour, runId = 'run-1') {
  return createDagRun(spec, behaviour, runId, snapshot)
}

function createDagRun (spec: DagSpec, behaviour: (nodeId: string) => NodeBehaviour, runId: string, snapshot?: Snapshot<unknown>) {
  const clock = new SteppingClock()
  const fake = createFakeExecutor(clock, behaviour)
  const logic = dagRunMachine.provide({ actors: { stepRunner: createStepRunner(createStepAttempt(fake.executor, { clock })) } })
  const actor = createActor(logic, { clock, input: { runId, spec }, ...(snapshot === undefined ? {} : { snapshot }) })
  actor.start()
  return { clock, fake, actor }
}

/** Jump the clock from one pending timer to the next until the run ends (or `limit` simulated ms pass); returns the result. */
export async function runToEnd (actor: DagRunActor, clock: SteppingClock, options: { limit?: number } = {}): Promise<DagResult> {
  const limit = clock.now() + (options.limit ?? 100_000)
  await flush()
  while (actor.getSnapshot().status === 'active') {
    const next = clock.nextDue()
    if (next === undefined || next > limit) break
    clock.increment(next - clock.now())
    await flush()
  }
  const snapshot = actor.getSnapshot()
  if (snapshot.status !== 'done') throw new Error(`run did not finish: ${snapshot.status} in ${JSON.stringify(snapshot.value)}`)
  return snapshot.output as DagResult
}
