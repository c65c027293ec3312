/**
 * Task chains on 3 real nodes (127.0.0.1, port 0): agents spread over the
 * nodes, steps sent over the bus EXACTLY_ONCE, outputs mapped between steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskError, type AgentHandle, type TaskContext, type ZeroStateNode } from '../../src/index.ts'
import type { WorkflowTask } from '../../src/workflow/step-executor.ts'
import { metricValue, startMesh, stopAll } from '../helpers/mesh.ts'

type Task = WorkflowTask & { input: Record<string, any> }

describe('task chains across 3 real nodes', () => {
  let nodes: ZeroStateNode[]
  let a: ZeroStateNode, b: ZeroStateNode, c: ZeroStateNode
  const agents: AgentHandle[] = []

  beforeAll(async () => {
    nodes = await startMesh(3)
    ;[a, b, c] = nodes as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
  })

  afterAll(async () => {
    await Promise.all(agents.map(async agent => { await agent.stop() }))
    await stopAll(nodes)
  })

  async function spawn (node: ZeroStateNode, name: string, handle: (task: Task, ctx: TaskContext) => unknown): Promise<AgentHandle> {
    const agent = await node.spawnAgent({ name, capabilities: [name], handle })
    agents.push(agent)
    return agent
  }

  it("runs the seed's image pipeline (upload -> resize -> compress -> store) over agents on three nodes", async () => {
    const upload = await spawn(a, 'upload', (task, ctx) => { ctx.reportCost(1); return { upload_url: `mem://${task.input.file}`, size: 4000 } })
    const resize = await spawn(b, 'resize', (task, ctx) => { ctx.reportCost(2); return { url: `${task.input.url}?w=${task.input.width}`, size: task.input.size / 4 } })
    const compress = await spawn(c, 'compress', (task, ctx) => { ctx.reportCost(0.5); return { url: `${task.input.url}&q=${task.input.quality}`, size: task.input.size / 2 } })
    const store = await spawn(a, 'store', (task, ctx) => { ctx.reportCost(0.25); return { stored: true, key: `${task.runId}/${task.stepId}`, from: task.input } })
    const result = await b.chains.execute({
      name: 'image-pipeline',
      user_id: 'user-1',
      total_budget: 10,
      steps: [
        { name: 'upload', agent_id: upload.id, task_type: 'upload', input: { file: 'cat.png' }, timeout: '5s' },
        { name: 'resize', agent_id: resize.id, task_type: 'resize', input: { width: 256 }, input_mapping: { upload_url: 'url', size: 'size' }, budget: 3 },
        { name: 'compress', agent_id: compress.id, task_type: 'compress', input: { quality: 80 }, input_mapping: { 'resize.url': 'url', 'resize.size': 'size' } },
        { name: 'store', agent_id: store.id, task_type: 'store', input_mapping: { 'compress.url': 'url', 'upload.upload_url': 'original' } }
      ]
    })
    expect(result.status).toBe('completed')
    expect(result.steps.map(s => [s.name, s.status, s.agentId, s.cost])).toEqual([
      ['upload', 'succeeded', upload.id, 1],
      ['resize', 'succeeded', resize.id, 2],
      ['compress', 'succeeded', compress.id, 0.5],
      ['store', 'succeeded', store.id, 0.25]
    ])
    expect(result.output).toEqual({
      stored: true,
      key: `${result.id}/store`,
      from: { url: 'mem://cat.png?w=256&q=80', original: 'mem://cat.png' }
    })
    expect(result.totalCost).toBe(3.75)
    expect(b.chains.get(result.id)).toMatchObject({ status: 'completed' })
    expect(await metricValue(b, 'zerostate_chain_executions_success')).toBe(1)
  })

  it('runs a 50-step chain whose steps alternate between the nodes', async () => {
    const counters = await Promise.all(nodes.map(async (node, i) => await spawn(node, `count-${i}`, task => ({ n: task.input.n + 1, last: task.stepId }))))
    const steps = Array.from({ length: 50 }, (_, i) => ({
      id: `step-${i}`,
      agentId: counters[i % 3]!.id,
      taskType: 'count',
      ...(i === 0 ? { input: { n: 0 } } : { inputMapping: { n: 'n' } })
    }))
    const result = await c.chains.execute({ name: 'fifty', steps })
    expect(result.status).toBe('completed')
    expect(result.output).toEqual({ n: 50, last: 'step-49' })
    expect(result.steps.every(s => s.status === 'succeeded' && s.attempts === 1)).toBe(true)
    expect(new Set(result.steps.map(s => s.agentId)).size).toBe(3)
  })

  it('fails a step whose agent throws a non-retryable error and runs the fallback on another node', async () => {
    const flaky = await spawn(a, 'flaky', () => { throw new TaskError('corrupt image', { code: 'CORRUPT', retryable: false }) })
    const fallback = await spawn(c, 'fallback', task => ({ recovered: true, runId: task.runId }))
    const result = await b.chains.execute({
      name: 'with-fallback',
      retry: { maxAttempts: 3, backoffMs: 10 },
      steps: [
        { name: 'work', agentId: flaky.id, taskType: 'work' },
        { name: 'fallback', agentId: fallback.id, taskType: 'recover', condition: 'on_failure' }
      ]
    })
    expect(result.status).toBe('completed')
    expect(result.steps[0]).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'HANDLER_ERROR', details: { code: 'CORRUPT', retryable: false } } })
    expect(result.output).toEqual({ recovered: true, runId: result.id })
  })

  it('times a slow remote step out, aborting the agent task through ctx.signal', async () => {
    let aborted = false
    const slow = await spawn(c, 'slow', async (_task, ctx) => await new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => { aborted = true; reject(ctx.signal.reason) }, { once: true })
    }))
    const result = await a.chains.execute({ name: 'slow', steps: [{ name: 'slow', agentId: slow.id, taskType: 'wait', timeout: '300ms' }] })
    expect(result.steps[0]).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
    await expect.poll(() => aborted, { timeout: 5000 }).toBe(true)
  })
})
