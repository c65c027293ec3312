import { describe, expect, it, vi } from 'vitest'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { createStandaloneHost } from '../../src/actor-host.ts'
import { createChainService } from '../../src/chains/chain-service.ts'
import { AbortedError, isZeroStateError, TaskError } from '../../src/errors.ts'
import type { StepExecutor, StepRequest } from '../../src/workflow/step-executor.ts'

function setup (executeStep: StepExecutor, options: { keepFinished?: number } = {}) {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(JSON.parse(line)) } })
  const registry = new Registry()
  const chains = createChainService({ host: createStandaloneHost(), executeStep, registry, logger, ...options })
  return { chains, registry, lines }
}

const echo: StepExecutor = async request => ({ agentId: `agent-${request.stepId}`, output: { ...request.input, [request.stepId]: true }, cost: 1 })

/** An executor whose attempts wait until released (or aborted). */
function gated () {
  const started: Array<{ request: StepRequest, signal: AbortSignal, release: () => void }> = []
  const executeStep: StepExecutor = async (request, signal) => await new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => { reject(new AbortedError()) }, { once: true })
    started.push({ request, signal, release: () => { resolve({ agentId: 'a', output: { ...request.input }, cost: 0 }) } })
  })
  return { executeStep, started }
}

const twoSteps = {
  name: 'pipeline',
  steps: [
    { name: 'upload', agent_id: 'did:key:z#up', task_type: 'upload', input: { file: 'x' } },
    { name: 'resize', capabilities: ['resize'], task_type: 'resize', input_mapping: { 'upload.file': 'source' } }
  ]
}

/** A counter's value, or a histogram's observation count. */
async function metric (registry: Registry, name: string): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find(m => m.name === name)
  const values = found?.values ?? []
  const counts = values.filter(v => (v as { metricName?: string }).metricName === `${name}_count`)
  return (counts.length > 0 ? counts : values).reduce((sum, v) => sum + v.value, 0)
}

describe('chain service', () => {
  it('executes a seed-style JSON chain and resolves with its result', async () => {
    const { chains } = setup(echo)
    const result = await chains.execute(JSON.stringify(twoSteps))
    expect(result).toMatchObject({ name: 'pipeline', status: 'completed', totalCost: 2, output: { source: 'x', resize: true } })
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.steps.map(s => [s.id, s.status, s.agentId])).toEqual([['upload', 'succeeded', 'agent-upload'], ['resize', 'succeeded', 'agent-resize']])
  })

  it('gives every run a fresh id and keeps the spec id as chainId', async () => {
    const { chains } = setup(echo)
    const a = await chains.execute({ ...twoSteps, id: 'images' })
    const b = await chains.execute({ ...twoSteps, id: 'images' })
    expect(a.id).not.toBe(b.id)
    expect(a.chainId).toBe('images')
  })

  it('rejects an invalid spec with INVALID_SPEC before anything runs', async () => {
    const executeStep = vi.fn(echo)
    const { chains } = setup(executeStep)
    await expect(chains.execute({ name: 'x', steps: [] })).rejects.toSatisfy(err => isZeroStateError(err, 'INVALID_SPEC'))
    expect(() => chains.start({ name: 'x', steps: [{ name: 'a', taskType: 't' }] })).toThrow(/agent_id or capabilities/)
    expect(executeStep).not.toHaveBeenCalled()
  })

  it('starts a run whose actor and state can be watched, then remembers its result', async () => {
    const { executeStep, started } = gated()
    const { chains } = setup(executeStep)
    const run = chains.start(twoSteps, { runId: 'run-7' })
    expect(run.id).toBe('run-7')
    expect(chains.get('run-7')).toMatchObject({ id: 'run-7', status: 'running' })
    expect(run.actor.getSnapshot().value).toBe('running')
    await vi.waitFor(() => { expect(started).toHaveLength(1) })
    expect(started[0]?.request).toMatchObject({ runId: 'run-7', stepId: 'upload', attempt: 1, agentId: 'did:key:z#up' })
    started[0]?.release()
    await vi.waitFor(() => { expect(started).toHaveLength(2) })
    expect(started[1]?.request).toMatchObject({ capabilities: ['resize'], input: { source: 'x' } })
    started[1]?.release()
    const result = await run.result
    expect(chains.get('run-7')).toMatchObject({ status: 'completed', result })
    expect(() => chains.start(twoSteps, { runId: 'run-7' })).not.toThrow()
  })

  it('refuses a second run with the id of a running one', () => {
    const { executeStep } = gated()
    const { chains } = setup(executeStep)
    chains.start(twoSteps, { runId: 'same' })
    let caught: unknown
    try { chains.start(twoSteps, { runId: 'same' }) } catch (err) { caught = err }
    expect(isZeroStateError(caught, 'INVALID_ARGUMENT')).toBe(true)
  })

  it('cancel aborts the running step and resolves the run as cancelled', async () => {
    const { executeStep, started } = gated()
    const { chains } = setup(executeStep)
    const run = chains.start(twoSteps)
    await vi.waitFor(() => { expect(started).toHaveLength(1) })
    expect(chains.cancel(run.id, 'changed my mind')).toBe(true)
    expect(started[0]?.signal.aborted).toBe(true)
    const result = await run.result
    expect(result).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } })
    expect(result.steps.map(s => s.status)).toEqual(['failed', 'skipped'])
    expect(chains.cancel(run.id)).toBe(false)
    expect(chains.cancel('unknown')).toBe(false)
  })

  it('an aborted signal cancels an executing run; an already aborted one starts nothing', async () => {
    const { executeStep, started } = gated()
    const { chains } = setup(executeStep)
    const controller = new AbortController()
    const pending = chains.execute(twoSteps, { signal: controller.signal })
    await vi.waitFor(() => { expect(started).toHaveLength(1) })
    controller.abort()
    await expect(pending).resolves.toMatchObject({ status: 'cancelled' })
    await expect(chains.execute(twoSteps, { signal: AbortSignal.abort() })).rejects.toSatisfy(err => isZeroStateError(err, 'ABORTED'))
    expect(started).toHaveLength(1)
  })

  it('stop cancels every running run and waits for them', async () => {
    const { executeStep } = gated()
    const { chains } = setup(executeStep)
    const runs = [chains.start(twoSteps), chains.start(twoSteps)]
    await chains.stop()
    for (const run of runs) expect(chains.get(run.id)?.status).toBe('cancelled')
  })

  it('remembers a bounded number of finished runs', async () => {
    const { chains } = setup(echo, { keepFinished: 2 })
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await chains.execute(twoSteps)).id)
    expect(chains.get(ids[0] as string)).toBeUndefined()
    expect(chains.get(ids[2] as string)?.status).toBe('completed')
  })

  it('counts and times runs and steps in the registry it was given', async () => {
    const failing: StepExecutor = async request => {
      if (request.stepId === 'resize') throw new TaskError('bad image', { retryable: false })
      return await echo(request, new AbortController().signal)
    }
    const ok = setup(echo)
    await ok.chains.execute(twoSteps)
    expect(await metric(ok.registry, 'zerostate_chain_executions_total')).toBe(1)
    expect(await metric(ok.registry, 'zerostate_chain_executions_success')).toBe(1)
    expect(await metric(ok.registry, 'zerostate_chain_execution_duration_seconds')).toBe(1)
    expect(await metric(ok.registry, 'zerostate_chain_step_duration_seconds')).toBe(2)
    expect(await metric(ok.registry, 'zerostate_chain_steps_count')).toBe(1)
    const bad = setup(failing)
    const result = await bad.chains.execute(twoSteps)
    expect(result).toMatchObject({ status: 'failed', error: { code: 'STEP_FAILED', details: { stepId: 'resize', cause: { code: 'HANDLER_ERROR' } } } })
    expect(await metric(bad.registry, 'zerostate_chain_executions_failure')).toBe(1)
    expect(await metric(bad.registry, 'zerostate_chain_executions_success')).toBe(0)
  })

  it('logs every step with the run and step ids', async () => {
    const { chains, lines } = setup(echo)
    const result = await chains.execute({ ...twoSteps, id: 'images', user_id: 'u1' })
    const stepLogs = lines.filter(l => l.msg === 'chain step finished')
    expect(stepLogs.map(l => [l.runId, l.chainId, l.userId, l.stepId, l.status])).toEqual([
      [result.id, 'images', 'u1', 'upload', 'succeeded'],
      [result.id, 'images', 'u1', 'resize', 'succeeded']
    ])
    expect(lines.filter(l => l.msg === 'chain step started').map(l => l.stepId)).toEqual(['upload', 'resize'])
    expect(lines.some(l => l.msg === 'chain run completed' && l.runId === result.id)).toBe(true)
  })
})
