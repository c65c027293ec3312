/**
 * The seed's diamond DAG on one node: fetch -> (process_1 | process_2) -> combine.
 *
 *   npx tsx examples/dag-diamond.ts
 */
import { createNode, type TaskContext, type WorkflowTask } from '../src/index.ts'

const sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
  })
}

const node = await createNode()
try {
  await node.spawnAgent({
    name: 'fetcher',
    capabilities: ['data-fetch'],
    handle: () => ({ data: [1, 2, 3, 4] })
  })
  await node.spawnAgent({
    name: 'processor',
    capabilities: ['data-processing'],
    concurrency: 2, // both branches at once
    handle: async (task: WorkflowTask, ctx: TaskContext) => {
      await sleep(100, ctx.signal)
      ctx.reportCost(0.5)
      const factor = task.stepId === 'process_1' ? 10 : 100
      return { result: (task.input.input_data as number[]).map(x => x * factor) }
    }
  })
  await node.spawnAgent({
    name: 'combiner',
    capabilities: ['data-aggregation'],
    handle: (task: WorkflowTask) => ({ combined: [...(task.input.part1 as number[]), ...(task.input.part2 as number[])] })
  })

  const result = await node.dags.execute({
    name: 'parallel-data-pipeline',
    max_parallelism: 5,
    nodes: {
      fetch: { capabilities: ['data-fetch'], task_type: 'fetch-data' },
      process_1: { capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
      process_2: { capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
      combine: {
        capabilities: ['data-aggregation'],
        dependencies: ['process_1', 'process_2'],
        input_mapping: { 'process_1.result': 'part1', 'process_2.result': 'part2' }
      }
    }
  }, { signal: AbortSignal.timeout(30_000) })

  console.log(result.status, result.outputs, `cost ${result.totalCost}`, `parallelism ${result.maxParallelismObserved}`)
  for (const [id, n] of Object.entries(result.nodes)) console.log(`  ${id}: ${n.status} in ${(n.finishedAt ?? 0) - (n.startedAt ?? 0)} ms`)
} finally {
  await node.stop()
}
