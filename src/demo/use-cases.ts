/**
 * The four use cases of the showcase, each driven over the nodes' HTTP API:
 * the image pipeline (chain), the data analysis (DAG), an auction, and the
 * distributed compilation (barrier + lock). Each returns what the report
 * shows.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { RunView, StepView } from '../http/run-view.ts'
import { createProgressPrinter, formatCost, formatMs } from '../cli/progress.ts'
import { requestAgent, submitAndFollow } from '../cli/submit-run.ts'
import type { ChildNode } from './child-nodes.ts'

/** What one use case produced, for the report. */
export interface UseCaseReport {
  title: string
  ok: boolean
  ms: number
  cost: number
  /** Result lines (already formatted). */
  lines: string[]
}

export interface DemoContext {
  nodes: ChildNode[]
  say: (line: string) => void
  /** `resizer@node-b` for an agent id. */
  agentName: (id: string) => string
  /** Absolute path of the repository's `examples/` folder. */
  examples: string
  signal: AbortSignal
}

/** Upload -> resize -> compress -> store, on a real generated image, submitted to node A. */
export async function imagePipeline (ctx: DemoContext): Promise<UseCaseReport> {
  const spec = JSON.parse(await readFile(`${ctx.examples}/image-pipeline.chain.json`, 'utf8')) as unknown
  const started = Date.now()
  const view = await submitAndFollow(at(ctx, 0).http, 'chain', spec, { signal: ctx.signal, onView: createProgressPrinter(ctx.say, { agentName: ctx.agentName, indent: '    ' }) })
  const out = (id: string): Record<string, unknown> => (view.steps?.find(s => s.id === id)?.output ?? {}) as Record<string, unknown>
  const lines = stepLines(view.steps ?? [], ctx)
  if (view.status === 'completed') {
    const upload = out('upload'); const resize = out('resize'); const compress = out('compress'); const store = out('store')
    lines.push(
      `image: ${String(upload.width)}x${String(upload.height)} PPM, ${bytes(upload.bytes)} -> resized ${String(resize.width)}x${String(resize.height)}, ${bytes(resize.bytes)}` +
      ` -> zlib ${bytes(compress.bytes)} (${String(compress.ratio)}x smaller)`,
      `stored: ${String(store.path)} (sha256 ${String(store.sha256).slice(0, 12)}…, verified ${String(store.verified)})`
    )
  } else lines.push(failure(view))
  return { title: 'Image pipeline (chain: upload -> resize -> compress -> store)', ok: view.status === 'completed', ms: Date.now() - started, cost: view.total_cost, lines }
}

/** Fetch -> CSV/JSON/XML parsers in parallel -> aggregate -> analytics, submitted to node B. */
export async function dataAnalysis (ctx: DemoContext): Promise<UseCaseReport> {
  const spec = JSON.parse(await readFile(`${ctx.examples}/data-analysis.dag.json`, 'utf8')) as unknown
  const started = Date.now()
  const view = await submitAndFollow(at(ctx, 1).http, 'dag', spec, { signal: ctx.signal, onView: createProgressPrinter(ctx.say, { agentName: ctx.agentName, indent: '    ' }) })
  const lines = stepLines(Object.values(view.nodes ?? {}), ctx)
  const result = view.outputs?.analytics as { summary?: Record<string, unknown>, report?: Record<string, any> } | undefined
  if (view.status === 'completed' && result?.report !== undefined && result.summary !== undefined) {
    const { report, summary } = result
    lines.push(
      `parallel parsers: up to ${String(view.max_parallelism_observed)} nodes ran at once`,
      `orders: ${String(summary.orders)} from 3 files (CSV, JSON, XML), revenue ${money(summary.revenue)}, units ${String(summary.units)}`,
      `by region: ${Object.entries(summary.by_region as Record<string, number>).map(([k, v]) => `${k} ${money(v)}`).join(', ')}`,
      `top product: ${String(report.top_product.product)} (${pct(report.top_product.share)} of revenue); best month ${String(report.best_month.month)} (${money(report.best_month.revenue)})`,
      `order value: mean ${money(report.order_value.mean)}, median ${money(report.order_value.median)}, stddev ${money(report.order_value.stddev)}; growth Jan->Jun ${String(report.growth_pct)}%`,
      `top customers: ${(report.top_customers as Array<{ customer: string, revenue: number }>).map(c => `${c.customer} ${money(c.revenue)}`).join(', ')}`
    )
  } else lines.push(failure(view))
  return { title: 'Data analysis (DAG: fetch -> CSV | JSON | XML -> aggregate -> analytics)', ok: view.status === 'completed', ms: Date.now() - started, cost: view.total_cost, lines }
}

const AUCTION_TEXT = 'ZeroState runs agents as supervised actors. Agents find each other by capability over a peer-to-peer mesh. ' +
  'They bid for work in auctions, chain their tasks into pipelines, and run workflows in parallel. ' +
  'Locks, shared state and barriers let agents on different nodes coordinate safely.'

/** A contract-net auction for a text-summary task among three bidders on three nodes. */
export async function auction (ctx: DemoContext): Promise<UseCaseReport> {
  const node = at(ctx, 0)
  const auctioneer = node.agents.find(id => id.endsWith('#auctioneer'))
  if (auctioneer === undefined) throw new Error('node-a has no auctioneer agent')
  const started = Date.now()
  ctx.say(`    … auctioneer calls for proposals: text-summary, window 300 ms, max price 5`)
  const reply = await requestAgent<{ winner: Bid, bids: Bid[], output: { words: number, sentences: number, top_words: Array<[string, number]>, lead: string }, cost: number }>(
    node.http, auctioneer, { capability: 'text-summary', task: { text: AUCTION_TEXT }, window_ms: 300, max_price: 5 }, { timeout: 15_000, signal: ctx.signal }
  )
  const { winner, bids, output, cost } = reply.payload
  for (const bid of bids) ctx.say(`    ${bid.agentId === winner.agentId ? '★' : '·'} bid ${ctx.agentName(bid.agentId).padEnd(24)} price ${formatCost(bid.price)}  eta ${bid.etaMs} ms`)
  ctx.say(`    ✓ awarded to ${ctx.agentName(winner.agentId)}, settled at ${formatCost(cost)} (${formatMs(Date.now() - started)})`)
  return {
    title: 'Auction (contract-net: call for proposals -> bids -> award -> execute -> settle)',
    ok: true,
    ms: Date.now() - started,
    cost,
    lines: [
      `bids: ${bids.map(b => `${ctx.agentName(b.agentId)} ${formatCost(b.price)}`).join(', ')}`,
      `winner: ${ctx.agentName(winner.agentId)} (bid ${formatCost(winner.price)}), paid ${formatCost(cost)}`,
      `summary: ${output.words} words, ${output.sentences} sentences; top words ${output.top_words.map(([w, n]) => `${w}×${n}`).join(', ')}`
    ]
  }
}

interface Bid { agentId: string, price: number, etaMs: number }

const MODULES = ['src/errors.ts', 'src/workflow/retry-policy.ts', 'src/identity/did.ts']

/** Three compilers on three nodes compile one module each, meet at a barrier, and one links under a lock. */
export async function compilation (ctx: DemoContext): Promise<UseCaseReport> {
  const build = randomUUID().slice(0, 8)
  const started = Date.now()
  const jobs = ctx.nodes.map(async (node, i) => {
    const compiler = node.agents.find(id => /#compiler-/.test(id))
    const module = MODULES[i % MODULES.length] as string
    if (compiler === undefined) throw new Error(`${node.label} has no compiler agent`)
    ctx.say(`    … ${ctx.agentName(compiler)} compiling ${module}`)
    const reply = await requestAgent<CompileResult>(node.http, compiler, { build_id: build, module, parties: ctx.nodes.length }, { timeout: 20_000, signal: ctx.signal })
    const r = reply.payload
    ctx.say(`    ✓ ${ctx.agentName(compiler).padEnd(24)} ${module.padEnd(28)} obj ${r.object.hash.slice(0, 10)}  ${r.object.tokens} tokens  barrier wait ${formatMs(r.barrier_ms)}${r.linked_by_me ? '  LINKED' : ''}`)
    return { ...reply, module }
  })
  const results = await Promise.all(jobs)
  const linker = results.find(r => r.payload.linked_by_me)
  const link = results[0]?.payload.link
  const agreed = link !== undefined && results.every(r => r.payload.link.hash === link.hash)
  return {
    title: 'Distributed compilation (3 compilers -> barrier -> one links under a lock)',
    ok: linker !== undefined && agreed && results.filter(r => r.payload.linked_by_me).length === 1,
    ms: Date.now() - started,
    cost: results.reduce((s, r) => s + r.cost, 0),
    lines: [
      ...results.map(r => `${r.module.padEnd(28)} compiled by ${ctx.agentName(r.agent_id)} (sha256 ${r.payload.object.hash.slice(0, 12)}…, ${r.payload.object.bytes} bytes)`),
      `barrier "build:${build}:compiled" released all ${results.length} parties (generation ${results[0]?.payload.barrier_generation ?? '?'})`,
      linker === undefined
        ? 'no compiler linked'
        : `linked by ${ctx.agentName(linker.agent_id)} holding lock "build:${build}:link" (fencing token ${linker.payload.link.fencing_token}); binary ${linker.payload.link.hash.slice(0, 16)}…; ${agreed ? 'every compiler saw the same binary' : 'COMPILERS DISAGREE'}`
    ]
  }
}

interface CompileResult {
  object: { hash: string, tokens: number, bytes: number }
  barrier_ms: number
  barrier_generation: number
  linked_by_me: boolean
  link: { hash: string, by: string, fencing_token: number }
}

function at (ctx: DemoContext, i: number): ChildNode {
  const node = ctx.nodes[i % ctx.nodes.length]
  if (node === undefined) throw new Error('the demo has no nodes')
  return node
}

function stepLines (steps: StepView[], ctx: DemoContext): string[] {
  return steps.map(s => `${(s.name ?? s.id).padEnd(11)} ${s.status.padEnd(9)} ${(s.agent_id === undefined ? '-' : ctx.agentName(s.agent_id)).padEnd(24)} ${formatMs(s.duration_ms).padStart(7)}  cost ${formatCost(s.cost)}`)
}

function failure (view: RunView): string {
  return `run ${view.status}: ${view.error === undefined ? 'no error reported' : `${view.error.code}: ${view.error.message}`}`
}

function bytes (n: unknown): string {
  return `${Number(n).toLocaleString('en-US')} B`
}

function money (n: unknown): string {
  return `$${Number(n).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
}

function pct (share: unknown): string {
  return `${Math.round(Number(share) * 1000) / 10}%`
}
