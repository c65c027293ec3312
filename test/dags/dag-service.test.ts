import { describe, expect, it, vi } from 'vitest'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { createStandaloneHost } from '../../src/actor-host.ts'
import { createDagService } from '../../src/dags/dag-service.ts'
import { AbortedError, isZeroStateError } from '../../src/errors.ts'
import type { StepExecutor, StepRequest } from '../../src/workflow/step-executor.ts'

const logger = pino({ level: 'silent' })

/** An executor whose tasks take `ms` real milliseconds (aborted with the signal), recording overlaps. */
function sleepyExecutor (ms: number) {
  const calls: Array<{ request: StepRequest, start: number, end?: number, aborted?: boolean }> = []
  const executor: StepExecutor = async (request, signal) => {
    const call: { request: StepRequest, start: number, end?: number, aborted?: boolean } = { request, start: performance.now() }
    calls.push(call)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms)
      signal.addEventListener('abort', () => { clearTimeout(timer); call.aborted = true; reject(new AbortedError()) }, { once: true })
    })
    call.end = performance.now()
    return { agentId: `agent-${request.stepId}`, output: { data: request.stepId, result: `${request.stepId}-done` }, cost: 1 }
  }
  return { executor, calls }
}

function setup (executor: StepExecutor, keepFinished?: number) {
  const registry = new Registry()
  const dags = createDagService({ host: createStandaloneHost(), executeStep: executor, registry, logger, ...(keepFinished === undefined ? {} : { keepFinished }) })
  return { dags, registry }
}

const diamond = {
  name: 'diamond',
  nodes: {
    fetch: { capabilities: ['data-fetch'], task_type: 'fetch-data' },
    process_1: { capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
    process_2: { capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
    combine: { capabilities: ['data-aggregation'], dependencies: ['process_1', 'process_2'], input_mapping: { 'process_1.result': 'part1', 'process_2.result': 'part2' } }
  }
}

/** The value of one sample in the registry's text exposition, e.g. `zerostate_dag_executions_failure{status="cancelled"}`. */
async function sample (registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find(l => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('dag service', () => {
  it('executes the seed diamond with the branches really overlapping, and records metrics', async () => {
    const { executor, calls } = sleepyExecutor(30)
    const { dags, registry } = setup(executor)
    const result = await dags.execute(diamond)
    expect(result.status).toBe('completed')
    expect(result.outputs).toEqual({ combine: { data: 'combine', result: 'combine-done' } })
    expect(result.totalCost).toBe(4)
    expect(result.maxParallelismObserved).toBe(2)
    const p1 = calls.find(c => c.request.stepId === 'process_1')
    const p2 = calls.find(c => c.request.stepId === 'process_2')
    expect(p1!.start).toBeLessThan(p2!.end!)
    expect(p2!.start).toBeLessThan(p1!.end!)
    expect(calls.find(c => c.request.stepId === 'combine')?.request.input).toEqual({ part1: 'process_1-done', part2: 'process_2-done' })
    expect(result.nodes.fetch?.startedAt).toBeTypeOf('number')
    expect(result.nodes.fetch!.finishedAt! - result.nodes.fetch!.startedAt!).toBeGreaterThanOrEqual(25)
    expect(await sample(registry, 'zerostate_dag_executions_total')).toBe(1)
    expect(await sample(registry, 'zerostate_dag_executions_success')).toBe(1)
    expect(await sample(registry, 'zerostate_dag_parallelism')).toBe(2)
    expect(await sample(registry, 'zerostate_dag_node_duration_seconds_count{status="succeeded"}')).toBe(4)
    expect(await sample(registry, 'zerostate_dag_nodes_count_sum')).toBe(4)
    expect(await sample(registry, 'zerostate_dag_execution_duration_seconds_count{status="completed"}')).toBe(1)
  })

  it('rejects an invalid spec or a cycle before any node runs', async () => {
    const { executor, calls } = sleepyExecutor(1)
    const { dags } = setup(executor)
    const cyclic = { name: 'c', nodes: { a: { capabilities: ['x'], dependencies: ['b'] }, b: { capabilities: ['x'], dependencies: ['a'] } } }
    await expect(dags.execute(cyclic)).rejects.toSatisfy(err => isZeroStateError(err, 'CYCLE'))
    await expect(dags.execute({ name: 'e', nodes: [] })).rejects.toSatisfy(err => isZeroStateError(err, 'INVALID_SPEC'))
    expect(calls).toHaveLength(0)
  })

  it('start returns the live actor; get follows the run from running to its result', async () => {
    const { executor } = sleepyExecutor(5)
    const { dags } = setup(executor)
    const run = dags.start(diamond, { runId: 'my-run' })
    expect(run.id).toBe('my-run')
    expect(run.actor.getSnapshot().value).toBe('running')
    expect(dags.get('my-run')).toMatchObject({ id: 'my-run', status: 'running', actor: run.actor })
    expect(() => dags.start(diamond, { runId: 'my-run' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    const result = await run.result
    expect(dags.get('my-run')).toEqual({ id: 'my-run', status: 'completed', result })
    const other = dags.start(diamond, { runId: 'chosen' })
    expect(other.id).toBe('chosen')
    expect((await other.result).id).toBe('chosen')
    expect(dags.get('nope')).toBeUndefined()
  })

  it('gives every run of the same DAG a fresh run id (so fresh step message ids) and keeps the spec id as dagId', async () => {
    const { executor, calls } = sleepyExecutor(1)
    const { dags } = setup(executor)
    const a = await dags.execute({ ...diamond, id: 'analysis' })
    const b = await dags.execute({ ...diamond, id: 'analysis' })
    expect(a.id).not.toBe(b.id)
    expect(a.id).toMatch(/^dag-[0-9a-f-]{36}$/)
    expect([a.dagId, b.dagId]).toEqual(['analysis', 'analysis'])
    expect(new Set(calls.map(c => c.request.runId))).toEqual(new Set([a.id, b.id]))
    expect(dags.get(a.id)?.result).toBe(a)
    const anonymous = await dags.execute(diamond)
    expect(anonymous.dagId).toBeUndefined()
  })

  it('an aborted signal cancels the run: running nodes are aborted and the result is cancelled', async () => {
    const { executor, calls } = sleepyExecutor(10_000)
    const { dags, registry } = setup(executor)
    const controller = new AbortController()
    const pending = dags.execute(diamond, { signal: controller.signal })
    await vi.waitFor(() => { expect(calls).toHaveLength(1) })
    controller.abort()
    const result = await pending
    expect(result.status).toBe('cancelled')
    expect(result.nodes.fetch?.status).toBe('cancelled')
    expect(calls[0]?.aborted).toBe(true)
    expect(await sample(registry, 'zerostate_dag_executions_failure{status="cancelled"}')).toBe(1)
  })

  it('refuses to start with a signal that is already aborted', async () => {
    const { executor, calls } = sleepyExecutor(1)
    const { dags } = setup(executor)
    await expect(dags.execute(diamond, { signal: AbortSignal.abort() })).rejects.toSatisfy(err => isZeroStateError(err, 'ABORTED'))
    expect(calls).toHaveLength(0)
  })

  it('cancel and stop end running runs; get forgets the oldest finished runs past keepFinished', async () => {
    const { executor } = sleepyExecutor(10_000)
    const { dags } = setup(executor, 1)
    const a = dags.start(diamond, { runId: 'a' })
    const b = dags.start(diamond, { runId: 'b' })
    expect(dags.cancel('a', 'enough')).toBe(true)
    expect(dags.cancel('unknown')).toBe(false)
    expect((await a.result).error).toEqual({ code: 'CANCELLED', message: 'enough' })
    await dags.stop()
    expect((await b.result).status).toBe('cancelled')
    expect(dags.get('a')).toBeUndefined()
    expect(dags.get('b')?.status).toBe('cancelled')
  })
})
