import { describe, expect, it } from 'vitest'
import type { MessageBus, Reply, RequestOptions, RequestTarget } from '../../src/bus-types.ts'
import { AbortedError, TimeoutError } from '../../src/errors.ts'
import { createBusStepExecutor } from '../../src/workflow/bus-step-executor.ts'
import type { StepRequest } from '../../src/workflow/step-executor.ts'

/** A bus whose `call` answers from a script and records each target. */
function scriptedBus (script: Array<(target: RequestTarget) => Reply>): { bus: MessageBus, targets: RequestTarget[] } {
  const targets: RequestTarget[] = []
  const call = async (target: RequestTarget, _payload: unknown, _options?: RequestOptions): Promise<Reply> => {
    targets.push(target)
    const next = script.shift()
    if (next === undefined) throw new Error('unexpected call')
    return next(target)
  }
  return { bus: { call } as unknown as MessageBus, targets }
}

const step = (attempt: number, extra: Partial<StepRequest> = {}): StepRequest =>
  ({ runId: 'run-1', stepId: 's', attempt, capabilities: ['work'], taskType: 't', input: {}, timeoutMs: 400, ...extra })

describe('the bus step executor', () => {
  it('a retry by capability avoids the agent of an attempt the run aborted itself (its step timer fired first)', async () => {
    const fail = (error: Error & { details?: Record<string, unknown> }, agentId: string) => () => { throw Object.assign(error, { details: { ...error.details, agentId } }) }
    const { bus, targets } = scriptedBus([
      fail(new AbortedError('aborted by the step timer'), 'agent-x'),
      fail(new TimeoutError('no answer'), 'agent-y'),
      () => ({ payload: 'ok', cost: 0, agentId: 'agent-z' }),
      () => ({ payload: 'ok', cost: 0, agentId: 'agent-x' })
    ])
    const execute = createBusStepExecutor(bus)
    const signal = new AbortController().signal
    await expect(execute(step(1), signal)).rejects.toThrow()
    await expect(execute(step(2, { avoidAgents: ['agent-q'] }), signal)).rejects.toThrow()
    expect(await execute(step(3), signal)).toEqual({ agentId: 'agent-z', output: 'ok', cost: 0 })
    expect(targets.map(t => typeof t === 'string' ? t : t.exclude)).toEqual([undefined, ['agent-q', 'agent-x'], ['agent-x', 'agent-y']])
    // the step succeeded: its failures are forgotten (a new run of the same step id starts clean)
    await execute(step(1), signal)
    expect(typeof targets[3] === 'string' ? targets[3] : targets[3]?.exclude).toBeUndefined()
  })
})
