/**
 * A chain step chosen by capability whose agent's node stops mid-run is
 * retried onto another agent with the same capability.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ZeroStateNode } from '../../src/index.ts'
import type { WorkflowTask } from '../../src/workflow/step-executor.ts'
import { startMesh, stopAll } from '../helpers/mesh.ts'

describe('task chain failover across real nodes', () => {
  let nodes: ZeroStateNode[]

  beforeAll(async () => {
    nodes = await startMesh(3, { heartbeatMs: 100 })
  })

  afterAll(async () => { await stopAll(nodes.filter(n => !stopped.has(n))) })

  const stopped = new Set<ZeroStateNode>()

  it('retries a step onto another agent with the same capability when its node stops mid-run', async () => {
    const [a, b, c] = nodes as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
    let firstTask!: (node: ZeroStateNode) => void
    const firstTaskAt = new Promise<ZeroStateNode>(resolve => { firstTask = resolve })
    let tasks = 0
    for (const node of [b, c]) {
      await node.spawnAgent({
        name: 'resizer',
        capabilities: ['resize'],
        handle: async (task: WorkflowTask, ctx) => {
          tasks++
          if (tasks === 1) {
            firstTask(node)
            return await new Promise((_resolve, reject) => { ctx.signal.addEventListener('abort', () => { reject(ctx.signal.reason) }, { once: true }) })
          }
          return { resized: task.input.url, by: node.peerId }
        }
      })
    }
    const prepare = await a.spawnAgent({ name: 'prepare', handle: () => ({ url: 'mem://cat.png' }) })
    await expect.poll(() => a.directory.find('resize').length, { timeout: 5000 }).toBeGreaterThanOrEqual(2)

    const run = a.chains.start({
      name: 'failover',
      steps: [
        { name: 'prepare', agentId: prepare.id, taskType: 'prepare' },
        { name: 'resize', capabilities: ['resize'], taskType: 'resize', inputMapping: { url: 'url' }, timeout: '1s', retry: { maxAttempts: 5, backoffMs: 200 } }
      ]
    })
    const victim = await firstTaskAt
    stopped.add(victim)
    await victim.stop({ timeout: 200 })
    const survivor = victim === b ? c : b

    const result = await run.result
    expect(result.status).toBe('completed')
    expect(result.output).toEqual({ resized: 'mem://cat.png', by: survivor.peerId })
    // The stopping node answers the in-flight task AGENT_STOPPED; the move to the survivor happens either in
    // capability selection (same attempt, another candidate) or in a step retry (a later attempt).
    expect(result.steps[1]?.agentId).toBe(`${survivor.did}#resizer`)
  })
})
