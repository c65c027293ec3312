/**
 * `zerostate demo`: the showcase. Starts a 3-node mesh (three `zerostate
 * node` processes on 127.0.0.1), spreads the example agents over them, runs
 * the four use cases over the HTTP API with live progress, prints a report,
 * and stops every process.
 */
import { fileURLToPath } from 'node:url'
import { EXIT, CliError } from '../cli/cli-errors.ts'
import { parseFlags, type CliIo, type Command } from '../cli/cli-io.ts'
import { formatMs } from '../cli/progress.ts'
import { ChildNodes, type ChildNode } from './child-nodes.ts'
import { collectMetrics, formatReport } from './report.ts'
import { auction, compilation, dataAnalysis, imagePipeline, type DemoContext, type UseCaseReport } from './use-cases.ts'

const USAGE = `usage: zerostate demo [--log-level <level>]

Start a 3-node mesh on 127.0.0.1 (three OS processes), spread example agents
over the nodes and run the four showcase use cases for real:
  1. an image pipeline chain (upload -> resize -> compress -> store) on a generated image
  2. a data-analysis DAG over the CSV, JSON and XML files in data/
  3. a multi-agent auction (three bidders on three nodes)
  4. a distributed compilation (barrier, then one linker under a lock)
It prints progress while it runs and a report at the end, then stops every
node. Exit code 0 when every use case succeeded.

options:
  --log-level <level>   log level of the node processes (stderr; default warn)
  -h, --help            show this help`

const AGENT_MODULES = ['node-a', 'node-b', 'node-c'].map(name => fileURLToPath(new URL(`./agents/${name}.ts`, import.meta.url)))
const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url))
const EXPECTED_CAPABILITIES = ['file-upload', 'image-processing', 'image-compression', 'file-storage', 'data-fetch', 'parse-csv', 'parse-json', 'parse-xml', 'data-aggregation', 'analytics', 'text-summary', 'compile', 'auction']

async function runDemo (args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, USAGE)
  if (values.help === true) { io.out(USAGE); return EXIT.ok }
  const started = Date.now()
  const children = new ChildNodes()
  const logLevel = values['log-level'] ?? 'warn'
  try {
    io.out('ZeroState showcase: starting a 3-node mesh on 127.0.0.1 …')
    const first = await children.start({ label: 'node-a', agents: AGENT_MODULES[0] as string, logLevel, signal: io.signal })
    printNode(io, first)
    const seed = first.multiaddrs[0]
    if (seed === undefined) throw new Error('node-a announced no address')
    const rest = await Promise.all(['node-b', 'node-c'].map(async (label, i) => {
      const node = await children.start({ label, agents: AGENT_MODULES[i + 1] as string, bootstrap: [seed], coordinator: seed, logLevel, signal: io.signal })
      printNode(io, node)
      return node
    }))
    const nodes = [first, ...rest]
    const labels = new Map(nodes.map(n => [n.did, n.label]))
    const agentName = (id: string): string => {
      const hash = id.lastIndexOf('#')
      return hash === -1 ? id : `${id.slice(hash + 1)}@${labels.get(id.slice(0, hash)) ?? id.slice(hash - 6, hash)}`
    }
    const meshStart = Date.now()
    await waitForDirectory(nodes, io.signal)
    io.out(`  directory: every node sees all ${nodes.reduce((s, n) => s + n.agents.length, 0)} agents (${formatMs(Date.now() - meshStart)})`)

    const ctx: DemoContext = { nodes, say: io.out, agentName, examples: EXAMPLES, signal: io.signal }
    const cases: UseCaseReport[] = []
    const steps: Array<[string, (c: DemoContext) => Promise<UseCaseReport>]> = [
      ['1/4 image pipeline chain, submitted to node-a', imagePipeline],
      ['2/4 data-analysis DAG, submitted to node-b', dataAnalysis],
      ['3/4 auction, run by node-a\'s auctioneer', auction],
      ['4/4 distributed compilation, one compiler per node', compilation]
    ]
    for (const [title, useCase] of steps) {
      io.out('')
      io.out(`▶ ${title}`)
      const caseStart = Date.now()
      try {
        const report = await useCase(ctx)
        cases.push(report)
        io.out(`  ${report.ok ? '✓' : '✗'} done in ${formatMs(report.ms)}`)
      } catch (err) {
        if (io.signal.aborted) throw err
        io.out(`  ✗ failed: ${(err as Error).message}`)
        cases.push({ title, ok: false, ms: Date.now() - caseStart, cost: 0, lines: [`error: ${(err as Error).message}`] })
      }
    }
    const metrics = await collectMetrics(nodes, io.signal)
    io.out('')
    for (const line of formatReport({ nodes, cases, metrics, totalMs: Date.now() - started, agentName })) io.out(line)
    const codes = await children.stopAll()
    io.out(`stopped ${Object.entries(codes).map(([label, code]) => `${label} (exit ${code})`).join(', ')}`)
    return cases.every(c => c.ok) ? EXIT.ok : EXIT.failed
  } catch (err) {
    if (!io.signal.aborted) throw err
    io.err('interrupted: stopping every node of the mesh')
    return EXIT.interrupted
  } finally {
    await children.stopAll(2000)
  }
}

function printNode (io: CliIo, node: ChildNode): void {
  io.out(`  ${node.label} pid ${node.pid}, peer …${node.peerId.slice(-8)}, ${node.http}, ${node.agents.length} agents, ready in ${formatMs(node.startMs)}`)
}

/** Wait until every node's directory lists every agent of the mesh with every expected capability. */
async function waitForDirectory (nodes: ChildNode[], signal: AbortSignal, timeoutMs = 15_000): Promise<void> {
  const expected = new Set(nodes.flatMap(n => n.agents))
  const deadline = Date.now() + timeoutMs
  for (;;) {
    signal.throwIfAborted()
    const missing: string[] = []
    for (const node of nodes) {
      const res = await fetch(`${node.http}/v1/agents`, { signal })
      const { agents } = await res.json() as { agents: Array<{ id: string, capabilities: string[] }> }
      const ids = new Set(agents.map(a => a.id))
      const capabilities = new Set(agents.flatMap(a => a.capabilities))
      for (const id of expected) if (!ids.has(id)) missing.push(`${node.label} misses ${id}`)
      for (const c of EXPECTED_CAPABILITIES) if (!capabilities.has(c)) missing.push(`${node.label} misses capability ${c}`)
    }
    if (missing.length === 0) return
    if (Date.now() > deadline) throw new CliError(`the mesh did not converge within ${timeoutMs} ms: ${missing.slice(0, 3).join('; ')}`, { exitCode: EXIT.failed })
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

export const demoCommand: Command = { name: 'demo', summary: 'run the showcase: a 3-node mesh and the four use cases', usage: USAGE, run: runDemo }
