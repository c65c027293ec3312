import { describe, expect, it } from 'vitest'
import { createActor, toPromise } from 'xstate'
import { createExecuteStepActor, createStepAttempt, type StepAttempt } from '../../actors/execute-step.ts'
import { TaskError, ZeroStateError } from '../../src/errors.ts'
import type { StepExecutor, StepRequest } from '../../src/workflow/step-executor.ts'

const request: StepRequest = { runId: 'r', stepId: 's', attempt: 1, capabilities: ['resize'], taskType: 'resize', input: { a: 1 } }

function ticking () {
  let t = 1000
  return { now: () => t++ }
}

describe('execute-step actor', () => {
  it('resolves a successful attempt with agent, output, cost and times', async () => {
    const executor: StepExecutor = async req => ({ agentId: 'agent-1', output: { got: req.input }, cost: 2 })
    const actor = createActor(createExecuteStepActor(executor, { clock: ticking() }), { input: request }).start()
    await expect(toPromise(actor)).resolves.toEqual({ ok: true, agentId: 'agent-1', output: { got: { a: 1 } }, cost: 2, startedAt: 1000, finishedAt: 1001 })
  })

  it('resolves a failed attempt as plain data with the error code and failing agent', async () => {
    const executor: StepExecutor = async () => { throw new ZeroStateError('AGENT_STOPPED', 'gone', { details: { agentId: 'agent-2' } }) }
    const actor = createActor(createExecuteStepActor(executor, { clock: ticking() }), { input: request }).start()
    await expect(toPromise(actor)).resolves.toEqual({
      ok: false, error: { code: 'AGENT_STOPPED', message: 'gone', details: { agentId: 'agent-2' } }, agentId: 'agent-2', startedAt: 1000, finishedAt: 1001
    })
  })

  it('names the requested agent when the error does not, and keeps task error retryability', async () => {
    const executor: StepExecutor = async () => { throw new TaskError('bad', { retryable: false }) }
    const actor = createActor(createExecuteStepActor(executor), { input: { ...request, agentId: 'fixed' } }).start()
    const attempt = await toPromise(actor)
    expect(attempt).toMatchObject({ ok: false, agentId: 'fixed', error: { code: 'HANDLER_ERROR', details: { retryable: false } } })
  })

  it('aborts the signal handed to the executor when the actor stops', async () => {
    let seen: AbortSignal | undefined
    const executor: StepExecutor = async (_req, signal) => {
      seen = signal
      return await new Promise(() => {})
    }
    const actor = createActor(createExecuteStepActor(executor), { input: request }).start()
    await Promise.resolve()
    expect(seen?.aborted).toBe(false)
    actor.stop()
    expect(seen?.aborted).toBe(true)
  })

  it('the attempt function hands back the key and tells onSettled, whose errors do not change the outcome', async () => {
    const seen: Array<[string, boolean]> = []
    const attempt = createStepAttempt(async () => ({ agentId: 'a', output: 1, cost: 0 }), {
      clock: ticking(),
      onSettled: (req, outcome) => { seen.push([req.stepId, outcome.ok]); throw new Error('observer bug') }
    })
    const outcome = await new Promise<[string, StepAttempt]>(resolve => { attempt('k7', request, new AbortController().signal, (key, a) => { resolve([key, a]) }) })
    expect(outcome).toEqual(['k7', { ok: true, agentId: 'a', output: 1, cost: 0, startedAt: 1000, finishedAt: 1001 }])
    expect(seen).toEqual([['s', true]])
  })
})
