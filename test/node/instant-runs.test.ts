import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNode, type ZeroStateNode } from '../../src/index.ts'

let node: ZeroStateNode
let echo: string
beforeAll(async () => {
  node = await createNode()
  echo = (await node.spawnAgent({ name: 'echo', capabilities: ['echo'], handle: t => t })).id
})
afterAll(async () => { await node.stop({ timeout: 500 }) })

describe('a run that ends while it starts', () => {
  it('a chain whose first step is refused by its budget fails with STEP_FAILED, not INTERNAL', async () => {
    const result = await node.chains.execute({ name: 'c', totalBudget: 1, steps: [{ name: 's', agentId: echo, taskType: 't', budget: 5 }] })
    expect(result.status).toBe('failed')
    expect(result.error?.code).toBe('STEP_FAILED')
  })

  it('a chain whose first step maps a missing source fails with MAPPING_FAILED as its cause', async () => {
    const result = await node.chains.execute({ name: 'c', steps: [{ name: 's', agentId: echo, taskType: 't', inputMapping: { 'x.y': 'y' } }] })
    expect(result.status).toBe('failed')
    expect((result.error?.details as { cause: { code: string } }).cause.code).toBe('MAPPING_FAILED')
  })

  it('a chain whose only step is skipped completes', async () => {
    const result = await node.chains.execute({ name: 'c', steps: [{ name: 's', agentId: echo, taskType: 't', condition: 'on_failure' }] })
    expect(result.status).toBe('completed')
  })

  it('a DAG with a zero total budget fails, and its run is listed', async () => {
    const run = node.dags.start({ id: 'd', total_budget: 0, nodes: [{ id: 'n', agent_id: echo, task_type: 't' }] })
    const result = await run.result
    expect(result.status).toBe('failed')
    expect(node.dags.get(run.id)?.status).toBe('failed')
  })
})
