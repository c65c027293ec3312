/**
 * DAG scheduling overhead and memory: wide (every node independent, all
 * ready at once) and deep (a chain) DAGs of 1 000 and 10 000 no-op nodes,
 * run through the DAG service with an in-process executor that answers at
 * once. Per node: milliseconds of scheduling (run time minus the same number
 * of direct executor calls, measured in the same run); bytes of heap at the
 * run's peak (spec, graph, context, and the attempts in flight: a wide DAG
 * with unlimited parallelism has every node in flight at once: each holds
 * its request, the executor's promise and one `then` on it); and bytes
 * the finished run's result keeps. Heap after a forced gc.
 *
 *   npx tsx benchmarks/dags.ts      (or: npm run bench -- dags)
 *
 * Targets: under 0.2 ms and under 1 KB per node, growing linearly.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { createStandaloneHost } from '../src/actor-host.ts'
import { createDagService } from '../src/dags/dag-service.ts'
import type { DagSpec } from '../src/dags/dag-types.ts'
import type { StepExecutor, StepOutcome } from '../src/workflow/step-executor.ts'

/** One benchmark row. */
export interface DagBenchRow {
  shape: 'wide' | 'wide-limited' | 'deep'
  nodes: number
  maxParallelism: number
  /** Best of the timed runs, whole run. */
  runMs: number
  /** The same number of direct executor calls. */
  directMs: number
  /** (runMs - directMs) / nodes */
  msPerNode: number
  /** Heap at the run's peak over the heap before it, per node (in-flight attempts included); null when gc cannot be forced. */
  bytesPerNode: number | null
  /** Node attempts in flight at that peak. */
  inFlightAtPeak: number
  /** Heap the finished run's result keeps, per node; null when gc cannot be forced. */
  resultBytesPerNode: number | null
}

const noop: StepExecutor = async () => ({ agentId: 'noop', output: undefined, cost: 0 })

function makeSpec (shape: DagBenchRow['shape'], n: number): DagSpec {
  const nodes = Array.from({ length: n }, (_, i) => shape === 'deep' && i > 0
    ? { id: `n${i}`, taskType: 'noop', agentId: 'noop', dependencies: [`n${i - 1}`] }
    : { id: `n${i}`, taskType: 'noop', agentId: 'noop' })
  return { name: `${shape}-${n}`, nodes, maxParallelism: shape === 'wide-limited' ? 16 : 0 }
}

function newService (executeStep: StepExecutor) {
  return createDagService({ host: createStandaloneHost(), executeStep, registry: new Registry(), logger: pino({ level: 'silent' }) })
}

async function timeRun (shape: DagBenchRow['shape'], n: number): Promise<number> {
  const dags = newService(noop)
  const spec = makeSpec(shape, n)
  const start = performance.now()
  const result = await dags.execute(spec)
  const ms = performance.now() - start
  if (result.status !== 'completed') throw new Error(`bench run ended ${result.status}`)
  return ms
}

async function timeDirect (n: number): Promise<number> {
  const request = { runId: 'r', stepId: 's', attempt: 1, taskType: 'noop', input: {} }
  const signal = new AbortController().signal
  const start = performance.now()
  for (let i = 0; i < n; i++) await noop(request, signal)
  return performance.now() - start
}

/** Heap per node at the run's peak (wide runs hold every node in flight; deep runs pause halfway) and kept by its result. */
async function measureBytes (shape: DagBenchRow['shape'], n: number): Promise<Pick<DagBenchRow, 'bytesPerNode' | 'inFlightAtPeak' | 'resultBytesPerNode'>> {
  const inFlightAtPeak = shape === 'wide' ? n : shape === 'wide-limited' ? 16 : 1
  const gc = forcedGc()
  if (gc === undefined) return { bytesPerNode: null, inFlightAtPeak, resultBytesPerNode: null }
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  let reached: () => void = () => {}
  const peak = new Promise<void>(resolve => { reached = resolve })
  let started = 0
  const pauseAt = shape === 'deep' ? `n${Math.floor(n / 2)}` : undefined
  const answer = (): StepOutcome => ({ agentId: 'noop', output: undefined, cost: 0 })
  // the cheapest stand-in for an agent: an attempt held in flight is one `then` on a shared gate
  // (what a real executor keeps per request belongs to the messaging layer and its own benchmark)
  const executor: StepExecutor = request => {
    started++
    if (request.stepId === pauseAt || (pauseAt === undefined && started === inFlightAtPeak)) reached()
    return pauseAt === undefined || request.stepId === pauseAt ? gate.then(answer) : Promise.resolve(answer())
  }
  const dags = newService(executor)
  const spec = makeSpec(shape, n)
  await settleHeap(gc)
  const before = process.memoryUsage().heapUsed
  const run = dags.start(spec)
  await peak
  await settleHeap(gc)
  const during = process.memoryUsage().heapUsed
  release()
  const result = await run.result
  await settleHeap(gc)
  const after = process.memoryUsage().heapUsed
  if (result.status !== 'completed') throw new Error(`bench run ended ${result.status}`)
  return { bytesPerNode: Math.round((during - before) / n), inFlightAtPeak, resultBytesPerNode: Math.round((after - before) / n) }
}

/** `global.gc`, enabled at run time when the process was started without --expose-gc. */
function forcedGc (): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed !== undefined) return exposed
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    return typeof gc === 'function' ? () => { gc() } : undefined
  } catch {
    return undefined
  }
}

async function settleHeap (gc: () => void): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise<void>(resolve => setImmediate(resolve))
    gc()
  }
}

/**
 * Run the DAG benchmark and return its rows.
 *
 * @example
 * ```ts
 * console.table(await benchDags())
 * ```
 */
export async function benchDags (options: { sizes?: number[], repeats?: number } = {}): Promise<DagBenchRow[]> {
  const sizes = options.sizes ?? [1_000, 10_000]
  const repeats = options.repeats ?? 3
  await timeRun('wide', 200) // warm up the JIT
  await timeRun('deep', 200)
  const rows: DagBenchRow[] = []
  for (const shape of ['wide', 'wide-limited', 'deep'] as const) {
    for (const n of sizes) {
      let runMs = Infinity
      let directMs = Infinity
      for (let r = 0; r < repeats; r++) {
        runMs = Math.min(runMs, await timeRun(shape, n))
        directMs = Math.min(directMs, await timeDirect(n))
      }
      const memory = await measureBytes(shape, n)
      rows.push({
        shape,
        nodes: n,
        maxParallelism: shape === 'wide-limited' ? 16 : 0,
        runMs: round(runMs),
        directMs: round(directMs),
        msPerNode: round((runMs - directMs) / n, 4),
        ...memory
      })
    }
  }
  return rows
}

function round (value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const rows = await benchDags()
  console.table(rows)
  for (const shape of ['wide', 'wide-limited', 'deep'] as const) {
    const [small, large] = rows.filter(r => r.shape === shape)
    if (small !== undefined && large !== undefined) {
      console.log(`${shape}: ms/node ${small.msPerNode} -> ${large.msPerNode} (x${round(large.msPerNode / small.msPerNode)}) for x${large.nodes / small.nodes} nodes`)
    }
  }
}
