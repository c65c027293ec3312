import { describe, expect, it, vi } from 'vitest'
import { TaskError } from '../../src/errors.ts'
import type { ZeroStateNode } from '../../src/index.ts'
import { meshesStoppedAfterAll } from '../helpers/mesh.ts'
import { partition } from '../helpers/partition.ts'

const { mesh } = meshesStoppedAfterAll()

/** A handler that never answers (until its task is aborted); `onStart` runs when a task starts. */
function hanging (onStart: () => void = () => {}) {
  return async (_task: unknown, ctx: { signal: AbortSignal }): Promise<never> => {
    onStart()
    return await new Promise((_resolve, reject) => { ctx.signal.addEventListener('abort', () => { reject(ctx.signal.reason) }) })
  }
}

describe('workflows whose agents are cut off by a partition', () => {
  // By capability, the retry used to go back to the partitioned agent whenever the run's own step timer
  // fired before the request's timeout: the run then never learnt which agent the attempt had gone to.
  it('a chain step on a partitioned agent times out and the run fails; by capability (chain and DAG), the retry goes to another agent and the run completes', async () => {
    const [a, b, c] = await mesh(3) as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
    let startedOnB!: () => void
    const startedB = new Promise<void>(resolve => { startedOnB = resolve })
    const stuck = await b.spawnAgent({ name: 'work', capabilities: ['work'], handle: hanging(() => { startedOnB() }) })
    await vi.waitFor(() => { expect(a.directory.get(stuck.id)).toBeDefined() })

    // fixed agent: TIMEOUT, run failed
    const fixed = a.chains.execute({ name: 'fixed', steps: [{ name: 's', agentId: stuck.id, taskType: 't', timeout: 400 }] })
    await startedB
    await partition(a, b)
    const t0 = Date.now()
    const failed = await fixed
    expect(failed.status).toBe('failed')
    expect(failed.steps[0]!.error?.code).toBe('TIMEOUT')
    expect(Date.now() - t0).toBeLessThan(1000)

    // by capability: b's agent still looks alive (its heartbeats come through c), the retry avoids it
    const other = await c.spawnAgent({ name: 'work', capabilities: ['work'], handle: () => 'from c' })
    await vi.waitFor(() => {
      expect(a.directory.get(other.id)).toBeDefined()
      expect(a.directory.get(stuck.id)).toBeDefined()
    }, { timeout: 3000 })
    a.registerSelector('stuck-first', candidates => candidates.find(entry => entry.id === stuck.id) ?? candidates[0])
    const byCapability = await a.chains.execute({
      name: 'cap',
      steps: [{ name: 's', capabilities: ['work'], strategy: 'stuck-first', taskType: 't', timeout: 400, retry: { maxAttempts: 3, backoffMs: 10 } }]
    })
    expect(byCapability.status, JSON.stringify(byCapability.steps)).toBe('completed')
    expect(byCapability.output).toBe('from c')
    expect(byCapability.steps[0]!.agentId).toBe(other.id)
    expect(byCapability.steps[0]!.attempts).toBe(2)
    const dag = await a.dags.execute({ name: 'cap', nodes: [{ id: 'n', capabilities: ['work'], strategy: 'stuck-first', taskType: 't', timeout: 400, retry: { maxAttempts: 3, backoffMs: 10 } }] })
    expect(dag.status).toBe('completed')
    expect(dag.nodes.n).toMatchObject({ status: 'succeeded', agentId: other.id, attempts: 2, output: 'from c' })
  })

  it('a fail-fast DAG whose running nodes are on a partitioned node ends as soon as another node fails', async () => {
    const [a, b] = await mesh(2) as [ZeroStateNode, ZeroStateNode]
    let running = 0
    const stuck = await b.spawnAgent({ name: 'stuck', concurrency: 4, handle: hanging(() => { running++ }) })
    let fail!: () => void
    const failNow = new Promise<void>(resolve => { fail = resolve })
    const local = await a.spawnAgent({ name: 'local', handle: async () => { await failNow; throw new TaskError('bad input', { retryable: false }) } })
    const run = a.dags.execute({
      name: 'cut',
      failurePolicy: 'fail-fast',
      nodes: [
        { id: 'p1', agentId: stuck.id, taskType: 't', timeout: 20_000 },
        { id: 'p2', agentId: stuck.id, taskType: 't', timeout: 20_000 },
        { id: 'f', agentId: local.id, taskType: 't', timeout: 20_000 },
        { id: 'after', agentId: local.id, taskType: 't', dependencies: ['p1', 'f'] }
      ]
    })
    await vi.waitFor(() => { expect(running).toBe(2) })
    await partition(a, b)
    const t0 = Date.now()
    fail()
    const result = await run
    expect(Date.now() - t0).toBeLessThan(500)
    expect(result.status).toBe('failed')
    expect(result.nodes.f!.status).toBe('failed')
    expect(result.nodes.p1!.status).toBe('cancelled')
    expect(result.nodes.p2!.status).toBe('cancelled')
    expect(result.nodes.after!.status).not.toBe('succeeded')
  })

  it('a DAG node on a partitioned node times out and a fail-fast run ends with it', async () => {
    const [a, b] = await mesh(2) as [ZeroStateNode, ZeroStateNode]
    let running = 0
    const stuck = await b.spawnAgent({ name: 'stuck', handle: hanging(() => { running++ }) })
    const run = a.dags.execute({ name: 'cut', nodes: [{ id: 'p', agentId: stuck.id, taskType: 't', timeout: 400 }, { id: 'q', agentId: stuck.id, taskType: 't', dependencies: ['p'] }] })
    await vi.waitFor(() => { expect(running).toBe(1) })
    await partition(a, b)
    const t0 = Date.now()
    const result = await run
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(result.status).toBe('failed')
    expect(result.nodes.p!.error?.code).toBe('TIMEOUT')
    expect(result.nodes.q!.status).toBe('skipped')
  })
})
