/**
 * Runs as the HTTP API shows them: one JSON shape for chains and DAGs,
 * built from the run actor's snapshot while it runs and from its result
 * once it ended. Field names follow the seed (snake_case).
 */
import type { ChainRunInfo, ChainRunActor } from '../chains/chain-service.ts'
import type { ChainResult } from '../chains/chain-types.ts'
import type { DagRunActor, DagRunInfo } from '../dags/dag-service.ts'
import type { DagResult } from '../dags/dag-types.ts'
import type { WireError } from '../errors.ts'
import type { HttpNode } from './http-node.ts'

/** The state of one chain step or DAG node. */
export interface StepView {
  id: string
  name?: string
  status: string
  agent_id?: string
  attempts: number
  cost: number
  started_at?: number
  finished_at?: number
  duration_ms?: number
  output?: unknown
  error?: WireError
  dependencies?: string[]
}

/** A run: `steps` for a chain (in order), `nodes` for a DAG (by node id). */
export interface RunView {
  id: string
  kind: 'chain' | 'dag'
  name: string
  /** The workflow's own id from its spec (`id` field), when it has one. */
  workflow_id?: string
  status: string
  total_cost: number
  /** Chains: index of the step under way (or the last one). */
  current_step?: number
  steps?: StepView[]
  nodes?: Record<string, StepView>
  output?: unknown
  outputs?: Record<string, unknown>
  max_parallelism_observed?: number
  error?: WireError
}

/** A run found in one of the node's services. */
export type FoundRun =
  | { kind: 'chain', info: ChainRunInfo }
  | { kind: 'dag', info: DagRunInfo }

/** Look a run up by id in the chain and DAG services. */
export function findRun (node: Pick<HttpNode, 'chains' | 'dags'>, id: string): FoundRun | undefined {
  const chain = node.chains.get(id)
  if (chain !== undefined) return { kind: 'chain', info: chain }
  const dag = node.dags.get(id)
  if (dag !== undefined) return { kind: 'dag', info: dag }
  return undefined
}

/** The view of a run; `withOutputs: false` leaves step outputs out (SSE). */
export function viewRun (run: FoundRun, options: { withOutputs?: boolean } = {}): RunView {
  const withOutputs = options.withOutputs ?? true
  if (run.kind === 'chain') {
    if (run.info.result !== undefined) return viewChainResult(run.info.result, withOutputs)
    if (run.info.actor !== undefined) return viewChainActor(run.info.actor, withOutputs)
    return { id: run.info.id, kind: 'chain', name: '', status: run.info.status, total_cost: 0 }
  }
  if (run.info.result !== undefined) return viewDagResult(run.info.result, withOutputs)
  if (run.info.actor !== undefined) return viewDagActor(run.info.actor, withOutputs)
  return { id: run.info.id, kind: 'dag', name: '', status: run.info.status, total_cost: 0 }
}

/** A finished chain's view. */
export function viewChainResult (result: ChainResult, withOutputs = true): RunView {
  const view: RunView = {
    id: result.id,
    kind: 'chain',
    name: result.name,
    status: result.status,
    total_cost: result.totalCost,
    steps: result.steps.map(step => stepView(step, withOutputs))
  }
  if (result.chainId !== undefined) view.workflow_id = result.chainId
  if (withOutputs && result.output !== undefined) view.output = result.output
  if (result.error !== undefined) view.error = result.error
  return view
}

/** A finished DAG's view. */
export function viewDagResult (result: DagResult, withOutputs = true): RunView {
  const nodes: Record<string, StepView> = {}
  for (const [id, node] of Object.entries(result.nodes)) nodes[id] = stepView({ id, ...node }, withOutputs)
  const view: RunView = {
    id: result.id,
    kind: 'dag',
    name: result.name,
    status: result.status,
    total_cost: result.totalCost,
    nodes,
    max_parallelism_observed: result.maxParallelismObserved
  }
  if (result.dagId !== undefined) view.workflow_id = result.dagId
  if (withOutputs) view.outputs = result.outputs
  if (result.error !== undefined) view.error = result.error
  return view
}

function viewChainActor (actor: ChainRunActor, withOutputs: boolean): RunView {
  const snapshot = actor.getSnapshot()
  if (snapshot.status === 'done') return viewChainResult(snapshot.output, withOutputs)
  const { context } = snapshot
  const view: RunView = {
    id: context.runId,
    kind: 'chain',
    name: context.chain.name,
    status: context.status,
    total_cost: context.spent,
    current_step: context.index,
    steps: context.steps.map(step => stepView(step, withOutputs))
  }
  if (context.chain.id !== undefined) view.workflow_id = context.chain.id
  return view
}

function viewDagActor (actor: DagRunActor, withOutputs: boolean): RunView {
  const snapshot = actor.getSnapshot()
  if (snapshot.status === 'done') return viewDagResult(snapshot.output, withOutputs)
  const { context } = snapshot
  const nodes: Record<string, StepView> = {}
  context.spec.nodes.forEach((spec, index) => {
    const state = context.nodes[index]
    if (state === undefined) return
    const view = stepView({ id: spec.id, ...(spec.name === undefined ? {} : { name: spec.name }), status: state.phase, ...state }, withOutputs)
    if (spec.dependencies !== undefined && spec.dependencies.length > 0) view.dependencies = [...spec.dependencies]
    nodes[spec.id] = view
  })
  const view: RunView = {
    id: context.runId,
    kind: 'dag',
    name: context.spec.name,
    status: context.status === 'validating' ? 'running' : context.status,
    total_cost: context.charged,
    nodes,
    max_parallelism_observed: context.maxParallelismObserved
  }
  if (context.spec.id !== undefined) view.workflow_id = context.spec.id
  return view
}

interface StepLike {
  id: string
  name?: string
  status: string
  agentId?: string
  attempts: number
  cost: number
  startedAt?: number
  finishedAt?: number
  output?: unknown
  error?: WireError
}

function stepView (step: StepLike, withOutputs: boolean): StepView {
  const view: StepView = { id: step.id, status: step.status, attempts: step.attempts, cost: step.cost }
  if (step.name !== undefined && step.name !== step.id) view.name = step.name
  if (step.agentId !== undefined) view.agent_id = step.agentId
  if (step.startedAt !== undefined) view.started_at = step.startedAt
  if (step.finishedAt !== undefined) view.finished_at = step.finishedAt
  if (step.startedAt !== undefined && step.finishedAt !== undefined) view.duration_ms = step.finishedAt - step.startedAt
  if (withOutputs && step.output !== undefined) view.output = step.output
  if (step.error !== undefined) view.error = step.error
  return view
}
