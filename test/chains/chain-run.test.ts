import { describe, expect, it } from 'vitest'
import { SimulatedClock, createActor } from 'xstate'
import { createExecuteStepActor } from '../../actors/execute-step.ts'
import type { StepRequest } from '../../src/workflow/step-executor.ts'
import { TaskError, ZeroStateError } from '../../src/errors.ts'
import { chainRunMachine } from '../../machines/chain-run.ts'
import { parseChain } from '../../src/chains/parse-chain.ts'
import type { ChainStepSpec, StepCondition } from '../../src/chains/chain-types.ts'
import { flush, runToEnd, startChainRun, type FakeBehaviour } from './chain-harness.ts'

const fail = (retryable = true): FakeBehaviour => ({ ok: false, error: new TaskError('boom', { retryable }) })
const step = (name: string, extra: Partial<ChainStepSpec> = {}): ChainStepSpec => ({ name, agentId: `did:key:z#${name}`, taskType: name, ...extra })

describe('chain-run: order, mapping and result', () => {
  it('runs steps in order and maps outputs from the last success and from named steps', async () => {
    const { actor, clock, attempts } = startChainRun({
      name: 'images',
      steps: [
        step('upload', { input: { file: 'a.png' } }),
        step('resize', { input: { width: 100, url: 'stale' }, inputMapping: { upload_url: 'url' } }),
        step('store', { inputMapping: { 'upload.upload_url': 'original', 'resize.resized.url': 'small', 'resize.resized': 'meta' } })
      ]
    }, req => ({
      ok: true,
      output: req.stepId === 'upload' ? { upload_url: 'http://u/a' } : req.stepId === 'resize' ? { resized: { url: 'http://u/a-100' } } : { stored: true }
    }))
    const result = await runToEnd(actor, clock)
    expect(attempts.map(a => a.request.stepId)).toEqual(['upload', 'resize', 'store'])
    expect(attempts[1]?.request.input).toEqual({ width: 100, url: 'http://u/a' })
    expect(attempts[2]?.request.input).toEqual({ original: 'http://u/a', small: 'http://u/a-100', meta: { url: 'http://u/a-100' } })
    expect(result).toMatchObject({ id: 'run-1', name: 'images', status: 'completed', output: { stored: true }, totalCost: 0 })
    expect(result.error).toBeUndefined()
    expect(result.steps.map(s => [s.id, s.status, s.attempts])).toEqual([['upload', 'succeeded', 1], ['resize', 'succeeded', 1], ['store', 'succeeded', 1]])
  })

  it('fails a step whose mapping source is missing, without calling its agent', async () => {
    const { actor, clock, attempts } = startChainRun({ name: 'c', steps: [step('a'), step('b', { inputMapping: { 'nope.deeper': 'x' } })] })
    const result = await runToEnd(actor, clock)
    expect(attempts).toHaveLength(1)
    expect(result.status).toBe('failed')
    expect(result.steps[1]).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'MAPPING_FAILED', message: expect.stringContaining('nope.deeper') } })
    expect(result.error).toMatchObject({ code: 'STEP_FAILED', details: { stepId: 'b', cause: { code: 'MAPPING_FAILED' } } })
  })

  it('fails a mapping that reads a step that did not succeed', async () => {
    const { actor, clock } = startChainRun({
      name: 'c',
      steps: [step('a'), step('b', { condition: 'on_failure' }), step('c', { condition: 'always', inputMapping: { 'b.x': 'x' } })]
    })
    const result = await runToEnd(actor, clock)
    expect(result.steps.map(s => s.status)).toEqual(['succeeded', 'skipped', 'failed'])
    expect(result.steps[2]?.error?.code).toBe('MAPPING_FAILED')
  })

  it('reports the last successful output even when a later step failed, and the first failure as the cause', async () => {
    const { actor, clock } = startChainRun({ name: 'c', steps: [step('a'), step('b'), step('c', { condition: 'always' })] }, req => req.stepId === 'a' ? { ok: true, output: 1 } : fail(false))
    const result = await runToEnd(actor, clock)
    expect(result.status).toBe('failed')
    expect(result.output).toBe(1)
    expect(result.error).toMatchObject({ code: 'STEP_FAILED', details: { stepId: 'b' } })
  })

  it('keeps its context plain data: the persisted snapshot survives a JSON round trip', async () => {
    const { actor, clock } = startChainRun({ name: 'c', steps: [step('a'), step('b', { retry: { maxAttempts: 2, backoffMs: 1000 } })] }, req => req.stepId === 'b' && req.attempt === 1 ? fail() : { ok: true })
    await flush()
    clock.increment(10)
    await flush()
    expect(actor.getSnapshot().value).toBe('retrying')
    const persisted = actor.getPersistedSnapshot()
    expect(JSON.parse(JSON.stringify(persisted))).toEqual(persisted)
    actor.stop()
  })
  it('resumes from a persisted snapshot: RESUME re-arms the backoff and the run finishes', async () => {
    const spec = { name: 'c', steps: [step('a'), step('b', { retry: { maxAttempts: 2, backoffMs: 1000 }, inputMapping: { 'a.step': 'from' } })] }
    const first = startChainRun(spec, req => req.stepId === 'b' && req.attempt === 1 ? fail() : { ok: true })
    await flush()
    first.clock.increment(10); await flush()
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))
    first.actor.stop()
    const clock = new SimulatedClock()
    const requests: StepRequest[] = []
    const logic = chainRunMachine.provide({ actors: { executeStep: createExecuteStepActor(async req => { requests.push(req); return { agentId: 'x', output: 'done', cost: 0 } }, { clock }) } })
    const resumed = createActor(logic, { clock, snapshot: persisted, input: { runId: 'run-1', chain: parseChain(spec) } }).start()
    expect(resumed.getSnapshot().value).toBe('retrying')
    resumed.send({ type: 'RESUME' })
    clock.increment(999); await flush()
    expect(requests).toHaveLength(0)
    const result = await runToEnd(resumed, clock)
    expect(requests.map(r => [r.stepId, r.attempt, r.input])).toEqual([['b', 2, { from: 'a' }]])
    expect(result).toMatchObject({ status: 'completed', output: 'done', steps: [{ status: 'succeeded' }, { status: 'succeeded', attempts: 2 }] })
  })
  it('resumed in a running step, RESUME restarts the same attempt and its timeout', async () => {
    const spec = { name: 'c', steps: [step('slow', { timeout: 500 })] }
    const first = startChainRun(spec, () => ({ hang: true }))
    await flush()
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))
    first.actor.stop()
    const clock = new SimulatedClock()
    const requests: StepRequest[] = []
    const logic = chainRunMachine.provide({ actors: { executeStep: createExecuteStepActor(async (req, signal) => { requests.push(req); return await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(new Error('aborted')) }) }) }, { clock }) } })
    const resumed = createActor(logic, { clock, snapshot: persisted, input: { runId: 'run-1', chain: parseChain(spec) } }).start()
    resumed.send({ type: 'RESUME' })
    await flush()
    expect(requests.at(-1)).toMatchObject({ stepId: 'slow', attempt: 1 })
    clock.increment(500); await flush()
    expect(resumed.getSnapshot().output).toMatchObject({ status: 'failed', steps: [{ error: { code: 'TIMEOUT' } }] })
  })
})

describe('chain-run: conditions', () => {
  // For each condition, run state before the step, and the step's outcome:
  // does it run, and is the run healthy afterwards (probed by the final status)?
  const cases: Array<[StepCondition, 'healthy' | 'failing', 'succeeds' | 'fails', boolean, 'healthy' | 'failing']> = [
    ['on_success', 'healthy', 'succeeds', true, 'healthy'],
    ['on_success', 'healthy', 'fails', true, 'failing'],
    ['on_success', 'failing', 'succeeds', false, 'failing'],
    ['on_success', 'failing', 'fails', false, 'failing'],
    ['on_failure', 'healthy', 'succeeds', false, 'healthy'],
    ['on_failure', 'healthy', 'fails', false, 'healthy'],
    ['on_failure', 'failing', 'succeeds', true, 'healthy'],
    ['on_failure', 'failing', 'fails', true, 'failing'],
    ['always', 'healthy', 'succeeds', true, 'healthy'],
    ['always', 'healthy', 'fails', true, 'failing'],
    ['always', 'failing', 'succeeds', true, 'failing'],
    ['always', 'failing', 'fails', true, 'failing']
  ]

  it.each(cases)('%s step while %s that %s: runs=%s, run ends %s', async (condition, before, outcome, runs, after) => {
    const { actor, clock, attempts } = startChainRun({
      name: 'c',
      steps: [step('first'), step('probe', { condition })]
    }, req => {
      if (req.stepId === 'first') return before === 'healthy' ? { ok: true } : fail(false)
      return outcome === 'succeeds' ? { ok: true } : fail(false)
    })
    const result = await runToEnd(actor, clock)
    expect(attempts.some(a => a.request.stepId === 'probe')).toBe(runs)
    expect(result.steps[1]?.status).toBe(runs ? (outcome === 'succeeds' ? 'succeeded' : 'failed') : 'skipped')
    expect(result.status).toBe(after === 'healthy' ? 'completed' : 'failed')
  })

  it('a fallback that succeeds hides the failure; a later cleanup failure does not', async () => {
    const { actor, clock } = startChainRun({
      name: 'c',
      steps: [step('main'), step('fallback', { condition: 'on_failure' }), step('next'), step('cleanup', { condition: 'always' })]
    }, req => req.stepId === 'main' || req.stepId === 'cleanup' ? fail(false) : { ok: true })
    const result = await runToEnd(actor, clock)
    expect(result.steps.map(s => s.status)).toEqual(['failed', 'succeeded', 'succeeded', 'failed'])
    expect(result.status).toBe('failed')
    expect(result.error).toMatchObject({ details: { stepId: 'cleanup' } })
  })
})

describe('chain-run: retries', () => {
  it('retries a retryable failure after the backoff, doubling each time', async () => {
    const { actor, clock, attempts } = startChainRun({
      name: 'c', steps: [step('a', { retry: { maxAttempts: 3, backoffMs: 100 } })]
    }, req => req.attempt < 3 ? fail() : { ok: true, output: 'third' })
    await flush()
    expect(attempts).toHaveLength(1)
    clock.increment(99); await flush()
    expect(attempts).toHaveLength(1)
    clock.increment(1); await flush()
    expect(attempts).toHaveLength(2)
    clock.increment(199); await flush()
    expect(attempts).toHaveLength(2)
    clock.increment(1); await flush()
    expect(attempts.map(a => [a.request.attempt, a.start])).toEqual([[1, 0], [2, 100], [3, 300]])
    const result = await runToEnd(actor, clock)
    expect(result.steps[0]).toMatchObject({ status: 'succeeded', attempts: 3, output: 'third', startedAt: 0, finishedAt: 300 })
  })

  it('uses the chain retry policy as the default of each step', async () => {
    const { actor, clock, attempts } = startChainRun({
      name: 'c', retry: { maxAttempts: 2, backoffMs: 5 }, steps: [step('a'), step('b', { retry: { maxAttempts: 1 } })]
    }, () => fail())
    const result = await runToEnd(actor, clock, { step: 1 })
    expect(attempts.map(a => a.request.stepId)).toEqual(['a', 'a'])
    expect(result.steps[0]).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'HANDLER_ERROR' } })
  })

  it('does not retry a task error marked non-retryable', async () => {
    const { actor, clock, attempts } = startChainRun({ name: 'c', steps: [step('a', { retry: { maxAttempts: 5, backoffMs: 1 } })] }, () => fail(false))
    const result = await runToEnd(actor, clock)
    expect(attempts).toHaveLength(1)
    expect(result.steps[0]).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'HANDLER_ERROR', details: { retryable: false } } })
  })

  it('sends a retry of a capability step away from the agents that failed it, with a new attempt number', async () => {
    const { actor, clock, attempts } = startChainRun({
      name: 'c', steps: [{ name: 'resize', capabilities: ['resize'], taskType: 'resize', retry: { maxAttempts: 3, backoffMs: 10 } }]
    }, req => req.attempt < 3
      ? { ok: false, error: new ZeroStateError('AGENT_STOPPED', 'gone', { details: { agentId: `agent-${req.attempt}` } }) }
      : { ok: true, agentId: 'agent-3' })
    const result = await runToEnd(actor, clock)
    expect(attempts.map(a => [a.request.attempt, a.request.avoidAgents])).toEqual([[1, undefined], [2, ['agent-1']], [3, ['agent-1', 'agent-2']]])
    expect(attempts.map(a => a.request.runId + '/' + a.request.stepId)).toEqual(['run-1/resize', 'run-1/resize', 'run-1/resize'])
    expect(result.steps[0]).toMatchObject({ status: 'succeeded', agentId: 'agent-3', attempts: 3 })
  })

  it('emits started, retrying and finished events for each step', async () => {
    const { actor, clock, events } = startChainRun({
      name: 'c', steps: [step('a', { retry: { maxAttempts: 2, backoffMs: 10 } }), step('b', { condition: 'on_failure' })]
    }, req => req.attempt === 1 ? fail() : { ok: true })
    await runToEnd(actor, clock)
    expect(events.map(e => e.type === 'step.finished' ? `finished:${e.step.id}:${e.step.status}` : `${e.type}:${e.stepId}:${e.attempt}`)).toEqual([
      'step.started:a:1', 'step.retrying:a:1', 'step.started:a:2', 'finished:a:succeeded', 'finished:b:skipped'
    ])
  })
})

describe('chain-run: budget', () => {
  it('refuses a step whose budget is above what is left, and lets a cheaper fallback run', async () => {
    const { actor, clock, attempts } = startChainRun({
      name: 'c', totalBudget: 10,
      steps: [step('a'), step('b', { budget: 5 }), step('fallback', { condition: 'on_failure', budget: 2 })]
    }, req => ({ ok: true, cost: req.stepId === 'a' ? 8 : 1 }))
    const result = await runToEnd(actor, clock)
    expect(attempts.map(a => a.request.stepId)).toEqual(['a', 'fallback'])
    expect(result.steps[1]).toMatchObject({ status: 'failed', attempts: 0, cost: 0, error: { code: 'BUDGET_EXCEEDED' } })
    expect(result).toMatchObject({ status: 'completed', totalCost: 9 })
  })

  it('grants each step the smaller of its budget and what is left', async () => {
    const { actor, clock, attempts } = startChainRun({
      name: 'c', totalBudget: 10, steps: [step('a', { budget: 3 }), step('b')]
    }, () => ({ ok: true, cost: 3 }))
    await runToEnd(actor, clock)
    expect(attempts.map(a => a.request.budget)).toEqual([3, 7])
  })

  it('fails a step that reports more than its budget, charges only its budget and does not retry', async () => {
    const { actor, clock, attempts } = startChainRun({
      name: 'c', steps: [step('a', { budget: 2, retry: { maxAttempts: 3, backoffMs: 1 } })]
    }, () => ({ ok: true, cost: 5 }))
    const result = await runToEnd(actor, clock)
    expect(attempts).toHaveLength(1)
    expect(result.steps[0]).toMatchObject({ status: 'failed', cost: 2, error: { code: 'BUDGET_EXCEEDED', details: { cost: 5, budget: 2 } } })
    expect(result.steps[0]?.output).toBeUndefined()
    expect(result.totalCost).toBe(2)
  })

  it('runs no step once the total budget is exhausted', async () => {
    const { actor, clock, attempts } = startChainRun({
      name: 'c', total_budget: 5, steps: [step('a'), step('b'), step('cleanup', { condition: 'always' })]
    }, () => ({ ok: true, cost: 5 }))
    const result = await runToEnd(actor, clock)
    expect(attempts.map(a => a.request.stepId)).toEqual(['a'])
    expect(result.steps.map(s => [s.status, s.error?.code])).toEqual([['succeeded', undefined], ['failed', 'BUDGET_EXCEEDED'], ['failed', 'BUDGET_EXCEEDED']])
    expect(result.totalCost).toBe(5)
  })
})

describe('chain-run: timeouts and cancellation', () => {
  it('times a step out at its deadline, aborting the attempt, and retries it', async () => {
    const { actor, clock, attempts } = startChainRun({
      name: 'c', steps: [step('slow', { timeout: '500ms', retry: { maxAttempts: 2, backoffMs: 50 } })]
    }, req => req.attempt === 1 ? { hang: true } : { ok: true, duration: 100 })
    await flush()
    clock.increment(499); await flush()
    expect(attempts[0]?.aborted).toBe(false)
    clock.increment(1); await flush()
    expect(attempts[0]?.aborted).toBe(true)
    expect(attempts[0]?.request.timeoutMs).toBe(500)
    const result = await runToEnd(actor, clock, { step: 1 })
    expect(attempts[1]?.start).toBe(550)
    expect(result.steps[0]).toMatchObject({ status: 'succeeded', attempts: 2 })
  })

  it('fails a step that times out on its last attempt with TIMEOUT', async () => {
    const { actor, clock } = startChainRun({ name: 'c', steps: [step('slow', { timeout: 200 }), step('next')] }, () => ({ hang: true }))
    const result = await runToEnd(actor, clock)
    expect(result.steps.map(s => s.status)).toEqual(['failed', 'skipped'])
    expect(result.steps[0]?.error).toMatchObject({ code: 'TIMEOUT', details: { timeoutMs: 200 } })
  })

  it('cancelling aborts the running step and skips the rest', async () => {
    const { actor, clock, attempts } = startChainRun({ name: 'c', steps: [step('a'), step('b'), step('c', { condition: 'always' })] }, req => req.stepId === 'b' ? { hang: true } : { ok: true })
    await flush()
    clock.increment(10); await flush()
    expect(attempts.map(a => a.request.stepId)).toEqual(['a', 'b'])
    actor.send({ type: 'CANCEL', reason: 'user' })
    expect(attempts[1]?.aborted).toBe(true)
    const snapshot = actor.getSnapshot()
    expect(snapshot.status).toBe('done')
    expect(snapshot.output).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'chain run cancelled: user' } })
    expect(snapshot.output?.steps.map(s => s.status)).toEqual(['succeeded', 'failed', 'skipped'])
    expect(snapshot.output?.steps[1]?.error?.code).toBe('CANCELLED')
  })

  it('cancelling during a retry wait ends the run without another attempt', async () => {
    const { actor, clock, attempts } = startChainRun({ name: 'c', steps: [step('a', { retry: { maxAttempts: 3, backoffMs: 1000 } })] }, () => fail())
    await flush()
    actor.send({ type: 'CANCEL' })
    clock.increment(5000); await flush()
    expect(attempts).toHaveLength(1)
    expect(actor.getSnapshot().output).toMatchObject({ status: 'cancelled', steps: [{ status: 'failed', attempts: 1, error: { code: 'CANCELLED' } }] })
  })

  it('fails an attempt whose actor errors instead of hanging', async () => {
    const bare = createActor(chainRunMachine, { input: { runId: 'r', chain: parseChain({ name: 'c', steps: [step('a')] }) } }).start()
    await flush()
    expect(bare.getSnapshot().output).toMatchObject({ status: 'failed', steps: [{ status: 'failed', error: { code: 'INTERNAL' } }] })
  })
})
