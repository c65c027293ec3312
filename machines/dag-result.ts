/**
 * The result of a dag-run, built once from its final context. Pure.
 */
import type { DagNodeStatus, DagResult, DagSpec } from '../src/dags/dag-types.ts'
import { PENDING, type DagNodePhase, type DagRunContext } from './dag-schedule.ts'

/** The run's result, built once at the end. O(V). */
export function buildDagResult (ctx: DagRunContext): DagResult {
  const nodes: DagResult['nodes'] = {}
  const outputs: DagResult['outputs'] = {}
  for (let i = 0; i < ctx.spec.nodes.length; i++) {
    const id = (ctx.spec.nodes[i] as DagSpec['nodes'][number]).id
    const node = ctx.nodes[i] ?? PENDING
    const status: DagNodeStatus = isTerminal(node.phase) ? node.phase : 'skipped'
    const entry: DagResult['nodes'][string] = { status, cost: node.cost, attempts: node.attempts }
    if (node.agentId !== undefined) entry.agentId = node.agentId
    if (node.startedAt !== undefined) entry.startedAt = node.startedAt
    if (node.finishedAt !== undefined) entry.finishedAt = node.finishedAt
    if (status === 'succeeded') entry.output = node.output
    if (node.error !== undefined && status !== 'succeeded') entry.error = node.error
    nodes[id] = entry
    if (status === 'succeeded' && ctx.graph?.isSink[i] === true) outputs[id] = node.output
  }
  const result: DagResult = {
    id: ctx.runId,
    name: ctx.spec.name,
    status: ctx.status === 'validating' || ctx.status === 'running' ? 'failed' : ctx.status,
    nodes,
    outputs,
    totalCost: ctx.charged,
    maxParallelismObserved: ctx.maxParallelismObserved
  }
  if (ctx.spec.id !== undefined) result.dagId = ctx.spec.id
  if (ctx.error !== null) result.error = ctx.error
  return result
}

function isTerminal (phase: DagNodePhase): phase is DagNodeStatus {
  return phase === 'succeeded' || phase === 'failed' || phase === 'skipped' || phase === 'cancelled'
}

