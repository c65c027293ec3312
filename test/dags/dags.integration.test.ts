/**
 * DAG workflows on 3 real nodes (127.0.0.1, port 0): the seed's diamond and
 * the data-analysis workflow, with agents spread over the nodes and parallel
 * branches observed running at the same time on different nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskContext, ZeroStateNode } from '../../src/index.ts'
import type { WorkflowTask } from '../../src/workflow/step-executor.ts'
import { metricValue, startMesh, stopAll } from '../helpers/mesh.ts'

type Task = WorkflowTask & { input: Record<string, any> }
interface Span { node: string, step: string, start: number, end: number }

/** Sleep `ms`, or reject when the task is aborted. */
async function work (ms: number, ctx: TaskContext): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    ctx.signal.addEventListener('abort', () => { clearTimeout(timer); reject(ctx.signal.reason) }, { once: true })
  })
}

function overlap (x: Span, y: Span): boolean {
  return x.start < y.end && y.start < x.end
}

describe('DAG workflows across 3 real nodes', () => {
  let nodes: ZeroStateNode[]
  let a: ZeroStateNode, b: ZeroStateNode, c: ZeroStateNode
  const spans: Span[] = []

  /** An agent on `node` that takes `ms` and records when it ran. */
  async function spawn (node: ZeroStateNode, name: string, capabilities: string[], ms: number, answer: (input: Record<string, any>) => unknown) {
    return await node.spawnAgent({
      name,
      capabilities,
      concurrency: 4,
      handle: async (task: Task, ctx: TaskContext) => {
        const start = performance.now()
        await work(ms, ctx)
        spans.push({ node: node.peerId, step: task.stepId, start, end: performance.now() })
        ctx.reportCost(0.1)
        return answer(task.input)
      }
    })
  }

  beforeAll(async () => {
    nodes = await startMesh(3)
    ;[a, b, c] = nodes as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
  })

  afterAll(async () => { await stopAll(nodes) })

  it('runs the seed diamond: the two processing branches run at once on two other nodes', async () => {
    const fetch = await spawn(a, 'fetcher', ['data-fetch'], 20, () => ({ data: [1, 2, 3, 4] }))
    const left = await spawn(b, 'processor-1', ['data-processing'], 200, input => ({ result: (input.input_data as number[]).map(x => x * 2) }))
    const right = await spawn(c, 'processor-2', ['data-processing'], 200, input => ({ result: (input.input_data as number[]).map(x => x + 1) }))
    const combine = await spawn(a, 'combiner', ['data-aggregation'], 20, input => ({ combined: [...input.part1, ...input.part2] }))

    const result = await a.dags.execute({
      name: 'parallel-data-pipeline',
      max_parallelism: 5,
      nodes: {
        fetch: { name: 'Fetch Data', agent_id: fetch.id, task_type: 'fetch-data' },
        process_1: { agent_id: left.id, dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
        process_2: { agent_id: right.id, dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
        combine: { agent_id: combine.id, dependencies: ['process_1', 'process_2'], input_mapping: { 'process_1.result': 'part1', 'process_2.result': 'part2' } }
      }
    }, { signal: AbortSignal.timeout(20_000) })

    expect(result.status).toBe('completed')
    expect(result.outputs).toEqual({ combine: { combined: [2, 4, 6, 8, 2, 3, 4, 5] } })
    expect(result.maxParallelismObserved).toBe(2)
    expect(result.totalCost).toBeCloseTo(0.4)
    expect(result.nodes.process_2).toMatchObject({ status: 'succeeded', agentId: right.id, attempts: 1 })
    const p1 = spans.find(s => s.step === 'process_1')!
    const p2 = spans.find(s => s.step === 'process_2')!
    expect(p1.node).toBe(b.peerId)
    expect(p2.node).toBe(c.peerId)
    expect(overlap(p1, p2)).toBe(true)
    expect(await metricValue(a, 'zerostate_dag_executions_success')).toBeGreaterThanOrEqual(1)
  })

  it('runs the data-analysis workflow: three parsers by capability on three nodes in parallel, then aggregate and analytics', async () => {
    await spawn(a, 'fetch-files', ['fetch-files'], 20, input => ({ files: { csv: `csv:${String(input.sources.csv)}`, json: 'json', xml: 'xml' } }))
    await spawn(a, 'csv', ['parse-csv'], 200, input => ({ records: [{ from: input.text, amount: 1 }] }))
    await spawn(b, 'json', ['parse-json'], 200, () => ({ records: [{ from: 'json', amount: 2 }] }))
    await spawn(c, 'xml', ['parse-xml'], 200, () => ({ records: [{ from: 'xml', amount: 3 }] }))
    await spawn(b, 'aggregator', ['aggregate-records'], 20, input => ({ records: [...input.csv, ...input.json, ...input.xml] }))
    await spawn(c, 'analyst', ['analytics'], 20, input => ({ total: (input.records as Array<{ amount: number }>).reduce((sum, r) => sum + r.amount, 0) }))
    for (const capability of ['fetch-files', 'parse-csv', 'parse-json', 'parse-xml', 'aggregate-records', 'analytics']) {
      await expect.poll(() => a.directory.find(capability).length, { timeout: 5000 }).toBeGreaterThanOrEqual(1)
    }

    const result = await a.dags.execute({
      name: 'data-analysis-workflow',
      max_parallelism: 3,
      total_budget: 5,
      timeout: '30s',
      nodes: {
        fetch: { capabilities: ['fetch-files'], task_type: 'fetch-data', input: { sources: { csv: 'sales-eu.csv' } }, budget: 0.5 },
        parse_csv: { capabilities: ['parse-csv'], dependencies: ['fetch'], input_mapping: { 'fetch.files.csv': 'text' }, budget: 0.5 },
        parse_json: { capabilities: ['parse-json'], dependencies: ['fetch'], input_mapping: { 'fetch.files.json': 'text' }, budget: 0.5 },
        parse_xml: { capabilities: ['parse-xml'], dependencies: ['fetch'], input_mapping: { 'fetch.files.xml': 'text' }, budget: 0.5 },
        aggregate: {
          capabilities: ['aggregate-records'],
          dependencies: ['parse_csv', 'parse_json', 'parse_xml'],
          input_mapping: { 'parse_csv.records': 'csv', 'parse_json.records': 'json', 'parse_xml.records': 'xml' },
          budget: 0.5
        },
        analytics: { capabilities: ['analytics'], dependencies: ['aggregate'], input_mapping: { 'aggregate.records': 'records' }, budget: 1 }
      }
    })

    expect(result.status).toBe('completed')
    expect(result.outputs).toEqual({ analytics: { total: 6 } })
    expect(result.maxParallelismObserved).toBe(3)
    const parsers = ['parse_csv', 'parse_json', 'parse_xml'].map(step => spans.find(s => s.step === step)!)
    expect(new Set(parsers.map(s => s.node)).size).toBe(3)
    expect(overlap(parsers[0]!, parsers[1]!) && overlap(parsers[1]!, parsers[2]!) && overlap(parsers[0]!, parsers[2]!)).toBe(true)
    const aggregate = spans.find(s => s.step === 'aggregate')!
    for (const parser of parsers) expect(aggregate.start).toBeGreaterThanOrEqual(parser.end)
  })

  it('rejects a cyclic spec on a real node before any agent is called', async () => {
    const before = spans.length
    await expect(a.dags.execute({
      name: 'loop',
      nodes: { x: { capabilities: ['analytics'], dependencies: ['y'] }, y: { capabilities: ['analytics'], dependencies: ['x'] } }
    })).rejects.toMatchObject({ code: 'CYCLE', cycle: ['x', 'y', 'x'] })
    expect(spans.length).toBe(before)
  })
})
