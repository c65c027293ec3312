/**
 * The demo's final report: each use case's results, who did what, costs and
 * timings, and a metrics summary summed over every node's `/metrics`.
 */
import { formatCost, formatMs } from '../cli/progress.ts'
import type { ChildNode } from './child-nodes.ts'
import type { UseCaseReport } from './use-cases.ts'

/** Sum of every sample of each metric (all label sets; histograms by `_count`). */
export function sumMetrics (text: string): Map<string, number> {
  const sums = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line)
    if (match === null) continue
    const value = Number(match[2])
    if (!Number.isFinite(value)) continue
    const name = match[1] as string
    sums.set(name, (sums.get(name) ?? 0) + value)
  }
  return sums
}

const SUMMARY: Array<[string, string]> = [
  ['messages sent', 'zerostate_agent_messages_sent_total'],
  ['messages received', 'zerostate_agent_messages_received_total'],
  ['messages dropped', 'zerostate_agent_messages_dropped_total'],
  ['agent tasks', 'zerostate_agent_tasks_total'],
  ['heartbeats sent', 'zerostate_heartbeats_sent_total'],
  ['chain runs', 'zerostate_chain_executions_total'],
  ['DAG runs', 'zerostate_dag_executions_total'],
  ['DAG nodes timed', 'zerostate_dag_node_duration_seconds_count'],
  ['auctions', 'zerostate_auctions_total'],
  ['auction bids', 'zerostate_auction_bids_total'],
  ['locks acquired', 'zerostate_coordination_locks_acquired_total'],
  ['lock conflicts', 'zerostate_coordination_lock_conflicts_total'],
  ['state updates', 'zerostate_coordination_state_updates_total'],
  ['barrier waits', 'zerostate_coordination_barrier_waits_total']
]

/** Fetch and sum the metrics of every node. */
export async function collectMetrics (nodes: ChildNode[], signal?: AbortSignal): Promise<Map<string, number>> {
  const totals = new Map<string, number>()
  for (const node of nodes) {
    const res = await fetch(`${node.http}/metrics`, signal === undefined ? {} : { signal })
    for (const [name, value] of sumMetrics(await res.text())) totals.set(name, (totals.get(name) ?? 0) + value)
  }
  return totals
}

/** The report's lines. */
export function formatReport (input: { nodes: ChildNode[], cases: UseCaseReport[], metrics: Map<string, number>, totalMs: number, agentName: (id: string) => string }): string[] {
  const { nodes, cases, metrics } = input
  const rule = '═'.repeat(78)
  const lines = [rule, ' ZeroState showcase — report', rule]
  lines.push(` mesh: ${nodes.length} node processes on 127.0.0.1 (${nodes[0]?.label ?? '?'} is the coordinator)`)
  for (const node of nodes) {
    lines.push(`   ${node.label}  pid ${node.pid}  peer …${node.peerId.slice(-8)}  ${node.http}  ready in ${formatMs(node.startMs)}`)
    lines.push(`     agents: ${node.agents.map(id => id.slice(id.lastIndexOf('#') + 1)).join(', ')}`)
  }
  cases.forEach((c, i) => {
    lines.push('', ` ${i + 1}. ${c.title}`)
    lines.push(`    ${c.ok ? 'OK' : 'FAILED'} in ${formatMs(c.ms)}, cost ${formatCost(Math.round(c.cost * 100) / 100)}`)
    for (const line of c.lines) lines.push(`    ${line}`)
  })
  lines.push('', ' metrics (summed over all nodes):')
  const cells = SUMMARY.map(([label, name]) => `${label} ${Math.round(metrics.get(name) ?? 0)}`)
  for (let i = 0; i < cells.length; i += 4) lines.push(`   ${cells.slice(i, i + 4).map(c => c.padEnd(24)).join('')}`.trimEnd())
  const ok = cases.filter(c => c.ok).length
  const cost = cases.reduce((s, c) => s + c.cost, 0)
  lines.push('', ` ${ok}/${cases.length} use cases succeeded, total cost ${formatCost(Math.round(cost * 100) / 100)}, wall time ${formatMs(input.totalMs)}`, rule)
  return lines
}
