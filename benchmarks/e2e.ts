/**
 * End to end: chains and DAG runs per second submitted through the HTTP API
 * (`POST /v1/chains?wait=true`, `POST /v1/dags?wait=true`) to a 3-node mesh
 * (in-process nodes on 127.0.0.1), with agents spread over the nodes and
 * chosen by capability. Baseline: the same workflows through
 * `node.chains.execute` / `node.dags.execute` in the same run.
 *
 *   npx tsx benchmarks/e2e.ts
 */
import '../src/polyfill.ts'
import { fileURLToPath } from 'node:url'
import { createNode, type ZeroStateNode } from '../src/index.ts'
import { createHttpApi } from '../src/http/http-api.ts'
import { printRows, type BenchRow } from './bench-util.ts'

const RUNS = 300
const IN_FLIGHT = 16

const chain = {
  name: 'e2e-chain',
  steps: [
    { name: 'a', capabilities: ['step-a'], task_type: 'a', input: { n: 1 } },
    { name: 'b', capabilities: ['step-b'], task_type: 'b', input_mapping: { n: 'n' } },
    { name: 'c', capabilities: ['step-c'], task_type: 'c', input_mapping: { n: 'n' } }
  ]
}
const dag = {
  name: 'e2e-dag',
  max_parallelism: 4,
  nodes: {
    fetch: { capabilities: ['step-a'], input: { n: 1 } },
    left: { capabilities: ['step-b'], dependencies: ['fetch'], input_mapping: { 'fetch.n': 'n' } },
    right: { capabilities: ['step-c'], dependencies: ['fetch'], input_mapping: { 'fetch.n': 'n' } },
    join: { capabilities: ['step-a'], dependencies: ['left', 'right'], input_mapping: { 'left.n': 'n' } }
  }
}

async function startMesh (): Promise<ZeroStateNode[]> {
  const nodes: ZeroStateNode[] = []
  for (let i = 0; i < 3; i++) nodes.push(await createNode({ heartbeatMs: 200, ...(i === 0 ? {} : { bootstrap: [String(nodes[0]?.multiaddrs[0])] }) }))
  const capabilities = ['step-a', 'step-b', 'step-c']
  await Promise.all(nodes.map(async (node, i) => {
    await node.spawnAgent({
      name: `worker-${i}`,
      capabilities: [capabilities[i] as string],
      concurrency: 32,
      handle: (task: { input: { n?: number } }, ctx) => { ctx.reportCost(0.01); return { n: (task.input.n ?? 0) + 1 } }
    })
  }))
  const deadline = Date.now() + 15_000
  while (!nodes.every(n => capabilities.every(c => n.directory.find(c).length > 0))) {
    if (Date.now() > deadline) throw new Error('the mesh did not converge')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return nodes
}

/** Runs per second of `once`, RUNS runs with IN_FLIGHT at a time. */
async function throughput (once: () => Promise<void>): Promise<number> {
  let next = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < RUNS) { next++; await once() }
  }))
  return RUNS / ((performance.now() - t0) / 1000)
}

async function post (url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const result = await res.json() as { status?: string }
  if (res.status !== 200 || result.status !== 'completed') throw new Error(`run failed: HTTP ${res.status} ${JSON.stringify(result).slice(0, 200)}`)
}

/** The e2e rows: HTTP chains/s and DAG runs/s, each against the in-process API. */
export async function benchE2E (): Promise<BenchRow[]> {
  const nodes = await startMesh()
  const entry = nodes[0] as ZeroStateNode
  const api = await createHttpApi(entry)
  try {
    await post(`${api.url}/v1/chains?wait=true`, chain)
    const chainsDirect = await throughput(async () => { const r = await entry.chains.execute(chain); if (r.status !== 'completed') throw new Error(r.error?.message) })
    const chainsHttp = await throughput(async () => { await post(`${api.url}/v1/chains?wait=true`, chain) })
    const dagsDirect = await throughput(async () => { const r = await entry.dags.execute(dag); if (r.status !== 'completed') throw new Error(r.error?.message) })
    const dagsHttp = await throughput(async () => { await post(`${api.url}/v1/dags?wait=true`, dag) })
    const label = `3-node mesh, ${IN_FLIGHT} in flight`
    return [
      { suite: 'e2e', metric: `chains/s via HTTP API (3 steps on 3 nodes, ${label})`, value: chainsHttp, unit: 'runs/s', baseline: chainsDirect, ratio: chainsHttp / chainsDirect },
      { suite: 'e2e', metric: `DAG runs/s via HTTP API (diamond, 4 nodes on 3 nodes, ${label})`, value: dagsHttp, unit: 'runs/s', baseline: dagsDirect, ratio: dagsHttp / dagsDirect }
    ]
  } finally {
    await api.close()
    await Promise.all(nodes.map(async n => { await n.stop({ timeout: 1000 }) }))
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printRows(await benchE2E())
  process.exit(0)
}
