/**
 * `npm run bench`: every suite, each against its baseline measured in the
 * same run. Prints one table and writes benchmarks/results/latest.json and
 * benchmarks/results/latest.md (a run of named suites writes
 * benchmarks/results/<suites>.json and .md instead, keeping the full run).
 *
 *   npm run bench                 # all suites
 *   npm run bench -- messaging    # only the named suites
 */
import '../src/polyfill.ts'
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { printRows, round, type BenchRow } from './bench-util.ts'
import { benchMessaging } from './messaging.ts'
import { benchChains } from './chains.ts'
import { benchDags } from './dags.ts'
import { benchCoordination, type CoordinationBenchRow } from './coordination.ts'
import { benchDiscovery } from './discovery.ts'
import { benchAgentRoundTrip } from './agent-roundtrip.ts'
import { benchE2E } from './e2e.ts'

type Suite = () => Promise<BenchRow[]>

const suites: Record<string, Suite> = {
  messaging: async () => await benchMessaging(),
  chains: async () => await benchChains(),
  dags: async () => (await benchDags()).flatMap(r => {
    const label = `${r.shape} DAG of ${r.nodes} no-op nodes (maxParallelism ${r.maxParallelism})`
    const out: BenchRow[] = [{ suite: 'dags', metric: `${label}: scheduling overhead`, value: r.msPerNode, unit: 'ms/node', target: '< 0.2 ms/node', pass: r.msPerNode < 0.2 }]
    if (r.bytesPerNode !== null) out.push({ suite: 'dags', metric: `${label}: memory`, value: r.bytesPerNode, unit: 'bytes/node', target: '< 1024 bytes/node', pass: r.bytesPerNode < 1024 })
    return out
  }),
  agents: async () => await benchAgentRoundTrip(),
  discovery: async () => (await benchDiscovery()).map(discoveryRow),
  e2e: async () => await benchE2E(),
  coordination: async () => (await benchCoordination()).map(coordinationRow)
}

/** Coordination rows: latency rows beside the plain request round trip of the same path; throughput rows alone. */
function coordinationRow (r: CoordinationBenchRow): BenchRow {
  const metric = `${r.name} (${r.path})`
  if (r.opsPerSec !== null) return { suite: 'coordination', metric, value: r.opsPerSec, unit: 'ops/s' }
  const row: BenchRow = { suite: 'coordination', metric: `${metric} p50`, value: r.p50Ms, unit: 'ms', baseline: r.baselineP50Ms, ratio: r.ratio }
  if (r.name.startsWith('acquire (uncontended)')) {
    row.target = '<= 1.2x request round trip'
    row.pass = r.ratio <= 1.2
  }
  if (r.name.startsWith('10-party barrier')) {
    row.target = '<= 5 ms after the last arrival'
    row.pass = r.p50Ms <= 5
  }
  return row
}

/** Discovery rows are generic records: latency rows carry p50Ms, request rows usPerRequest. */
function discoveryRow (r: Record<string, unknown>): BenchRow {
  const name = String(r.case)
  if (typeof r.p50Ms === 'number') return { suite: 'discovery', metric: `${name} p50`, value: r.p50Ms, unit: 'ms' }
  const row: BenchRow = { suite: 'discovery', metric: name, value: Number(r.usPerRequest), unit: 'µs/request' }
  if (typeof r.overheadUs === 'number') {
    row.baseline = Number(r.usPerRequest) - r.overheadUs
    row.ratio = Number(r.usPerRequest) / row.baseline
  }
  return row
}

const here = dirname(fileURLToPath(import.meta.url))

/**
 * Each suite runs in a fresh child process (same flags), so one suite's heap,
 * sockets and timers do not slow the next one down.
 */
async function runIsolated (name: string): Promise<BenchRow[]> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--suite', name], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => { out += chunk })
  const code = await new Promise<number | null>(resolve => { child.on('close', resolve) })
  const line = out.split('\n').find(l => l.startsWith(ROWS_MARKER))
  if (code !== 0 || line === undefined) throw new Error(`benchmark suite ${name} failed (exit ${String(code)})`)
  return JSON.parse(line.slice(ROWS_MARKER.length)) as BenchRow[]
}

const ROWS_MARKER = 'ZEROSTATE_BENCH_ROWS '
const suiteFlag = process.argv.indexOf('--suite')
if (suiteFlag !== -1) {
  const suite = suites[process.argv[suiteFlag + 1] ?? '']
  if (suite === undefined) throw new Error(`unknown suite ${process.argv[suiteFlag + 1] ?? ''}`)
  process.stdout.write(ROWS_MARKER + JSON.stringify(await suite()) + '\n')
  process.exit(0)
}

const wanted = process.argv.slice(2).filter(a => !a.startsWith('-'))
const rows: BenchRow[] = []
for (const name of Object.keys(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue
  process.stderr.write(`running ${name}...\n`)
  rows.push(...await runIsolated(name))
}
printRows(rows)

const meta = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown' }
const resultsDir = join(here, 'results')
await mkdir(resultsDir, { recursive: true })
const base = wanted.length === 0 ? 'latest' : wanted.join('+')
await writeFile(join(resultsDir, `${base}.json`), JSON.stringify({ ...meta, rows }, null, 2) + '\n')
const md = [
  `Benchmarks: ${meta.date}, Node ${meta.node}, ${meta.cpus} cores (${meta.cpu}). Command: \`npm run bench\`.`,
  '',
  '| suite | metric | value | unit | baseline | ratio | target | pass |',
  '| --- | --- | ---: | --- | ---: | ---: | --- | --- |',
  ...rows.map(r => `| ${r.suite} | ${r.metric} | ${round(r.value)} | ${r.unit} | ${r.baseline === undefined ? '' : round(r.baseline)} | ${r.ratio === undefined ? '' : round(r.ratio)} | ${r.target ?? ''} | ${r.pass === undefined ? '' : r.pass ? 'yes' : 'no'} |`)
].join('\n') + '\n'
await writeFile(join(resultsDir, `${base}.md`), md)
process.stderr.write(`wrote ${join(resultsDir, `${base}.json`)} and ${base}.md\n`)
process.exit(0)
