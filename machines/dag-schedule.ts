/**
 * The scheduler of a dag-run: pure functions over the run's plain-data
 * context that decide which nodes start, what a finished attempt changes,
 * and how a run is wound down. They return effects (start/stop a step,
 * arm/disarm a timer) that the machine turns into XState actions.
 *
 * Cost per event is O(1) plus the node's own edges: each node keeps a
 * counter of unmet dependencies, ready nodes wait in a binary min-heap of
 * spec indices (so ties start in spec order), and only the records that
 * change are replaced. The functions update the context object they are
 * given, including its arrays, in place; the machine hands them a fresh
 * shallow copy of its context on every event.
 */
import type { WireError } from '../src/errors.ts'
import type { StepRequest } from '../src/workflow/step-executor.ts'
import type { DagFailurePolicy, DagNodeStatus, DagRunStatus, DagSpec } from '../src/dags/dag-types.ts'
import type { DagGraph } from './dag-graph.ts'
import { backoffDelay, isRetryable, resolveRetryPolicy } from '../src/workflow/retry-policy.ts'
import { addCharge, settleCost, stepBudgetDecision } from '../src/workflow/budget.ts'
import { heapPop, heapPush } from './ready-heap.ts'
import { attemptStart, retryTimer, timeoutTimer } from './dag-attempt.ts'

/** Where a node is: waiting for dependencies, queued, running, waiting to retry, or one of the terminal statuses. */
export type DagNodePhase = 'pending' | 'ready' | 'running' | 'backoff' | DagNodeStatus

/** One node's state (plain data; records are replaced, never mutated). */
export interface DagNodeState {
  phase: DagNodePhase
  attempts: number
  cost: number
  /** Budget granted to the attempt now running. */
  grant?: number
  agentId?: string
  output?: unknown
  error?: WireError
  /** Agents that failed earlier attempts. */
  avoidAgents?: string[]
  /** When the first attempt started and the last one ended (epoch ms, from the attempt function's clock). */
  startedAt?: number
  finishedAt?: number
}

/** What ended an attempt: the agent's answer ... */
export interface DagAttemptSuccess { agentId: string, output: unknown, cost: number, startedAt?: number, finishedAt?: number }
/** ... or a failure. */
export interface DagAttemptFailure { error: WireError, agentId?: string, startedAt?: number, finishedAt?: number }

/** The dag-run machine's context. */
export interface DagRunContext {
  runId: string
  spec: DagSpec
  graph: DagGraph | null
  /** Unmet dependencies per node. */
  waiting: number[]
  /** Binary min-heap of indices of nodes ready to start. */
  ready: number[]
  nodes: DagNodeState[]
  running: number
  maxParallelismObserved: number
  /** Cost charged so far. */
  charged: number
  /** Budget granted to running attempts. */
  reserved: number
  /** Nodes without a budget of their own that wait to start (ready, or waiting to retry): they share what is left. */
  unbudgetedWaiting: number
  /** Nodes in a terminal status. */
  settled: number
  failedCount: number
  /** Index of the first node that failed, -1 when none. */
  firstFailure: number
  /** Fail-fast tripped: the run must wind down. */
  halted: boolean
  status: 'validating' | 'running' | DagRunStatus
  error: WireError | null
}

/** What the machine must do after a scheduling decision. */
export type DagEffect =
  | { type: 'start', childId: string, request: StepRequest, timer?: { id: string, delay: number, index: number, attempt: number } }
  | { type: 'stop', childId: string }
  | { type: 'retryLater', timerId: string, delay: number, index: number }
  | { type: 'cancelTimer', timerId: string }

/** The state every node starts in (shared: node records are replaced, never mutated). */
export const PENDING: DagNodeState = Object.freeze({ phase: 'pending', attempts: 0, cost: 0 }) as DagNodeState
const READY: DagNodeState = Object.freeze({ phase: 'ready', attempts: 0, cost: 0 }) as DagNodeState

/** The context of a run that has not been validated yet. */
export function initialDagContext (runId: string, spec: DagSpec): DagRunContext {
  return {
    runId,
    spec,
    graph: null,
    waiting: [],
    ready: [],
    nodes: [],
    running: 0,
    maxParallelismObserved: 0,
    charged: 0,
    reserved: 0,
    unbudgetedWaiting: 0,
    settled: 0,
    failedCount: 0,
    firstFailure: -1,
    halted: false,
    status: 'validating',
    error: null
  }
}

/** Set up counters and the ready queue of a validated graph. */
export function prepareRun (ctx: DagRunContext, graph: DagGraph): void {
  const n = graph.ids.length
  ctx.graph = graph
  ctx.status = 'running'
  ctx.waiting = graph.indegree.slice()
  ctx.nodes = new Array<DagNodeState>(n)
  ctx.ready = []
  for (let i = 0; i < n; i++) {
    if (graph.indegree[i] === 0) {
      ctx.nodes[i] = READY
      ctx.ready.push(i) // ascending pushes keep the heap property
      if (ctx.spec.nodes[i]?.budget === undefined) ctx.unbudgetedWaiting++
    } else {
      ctx.nodes[i] = PENDING
    }
  }
}

/** Start ready nodes while slots, budget and the failure policy allow. */
export function dispatch (ctx: DagRunContext, fx: DagEffect[]): void {
  const limit = ctx.spec.maxParallelism !== undefined && ctx.spec.maxParallelism > 0 ? ctx.spec.maxParallelism : Infinity
  while (!ctx.halted && ctx.running < limit && ctx.ready.length > 0) {
    const index = ctx.ready[0] as number
    const spec = ctx.spec.nodes[index]
    if (spec === undefined) break
    // a node without a budget shares what is left with the other budget-less nodes waiting to start
    const sharers = spec.budget === undefined ? ctx.unbudgetedWaiting : 1
    const budget = stepBudgetDecision({ totalBudget: ctx.spec.totalBudget, spent: ctx.charged + ctx.reserved, stepBudget: spec.budget, sharers })
    if (!budget.ok && ctx.running > 0) break // running nodes may free budget: wait for them
    heapPop(ctx.ready)
    if (spec.budget === undefined) ctx.unbudgetedWaiting--
    if (!budget.ok) {
      failNode(ctx, index, budget.error)
      continue
    }
    const node = ctx.nodes[index] as DagNodeState
    const attempt = node.attempts + 1
    const start = attemptStart(ctx, index, attempt, budget.grant, node.avoidAgents)
    if (!start.ok) {
      failNode(ctx, index, start.error)
      continue
    }
    const next: DagNodeState = { ...node, phase: 'running', attempts: attempt }
    if (budget.grant !== undefined) {
      next.grant = budget.grant
      ctx.reserved += budget.grant
    }
    ctx.nodes[index] = next
    ctx.running++
    if (ctx.running > ctx.maxParallelismObserved) ctx.maxParallelismObserved = ctx.running
    fx.push(start.effect)
  }
}

/**
 * Pick a run restored from a persisted snapshot up again (XState does not
 * persist delayed events, and the attempts in flight were lost with the old
 * step runner): every running node's attempt is started again with the same
 * attempt number, hence the same message id (a step that already ran is
 * answered from the EXACTLY_ONCE cache), input and grant, and its timeout
 * re-armed; every backoff starts again. O(V), once per resume.
 */
export function resumeRun (ctx: DagRunContext, fx: DagEffect[]): void {
  for (let i = 0; i < ctx.nodes.length; i++) {
    const node = ctx.nodes[i] as DagNodeState
    if (node.phase === 'running') {
      const start = attemptStart(ctx, i, node.attempts, node.grant, node.avoidAgents)
      if (ctx.spec.nodes[i]?.timeout !== undefined) fx.push({ type: 'cancelTimer', timerId: timeoutTimer(i) })
      if (start.ok) fx.push(start.effect) // it was built the same way when the attempt first started
    } else if (node.phase === 'backoff') {
      const policy = resolveRetryPolicy(ctx.spec.nodes[i]?.retry, ctx.spec.retry)
      fx.push({ type: 'cancelTimer', timerId: retryTimer(i) })
      fx.push({ type: 'retryLater', timerId: retryTimer(i), delay: backoffDelay(policy, node.attempts), index: i })
    }
  }
  dispatch(ctx, fx)
}

/** Attempt `attempt` of node `index` answered. Stale answers (of a stopped attempt) are ignored. */
export function stepSucceeded (ctx: DagRunContext, index: number, attempt: number, outcome: DagAttemptSuccess, fx: DagEffect[]): void {
  const node = endAttempt(ctx, index, attempt, outcome, fx)
  if (node === undefined) return
  const settlement = settleCost(node.grant, outcome.cost)
  ctx.charged = addCharge(ctx.charged, settlement.charged, ctx.spec.totalBudget)
  const cost = node.cost + settlement.charged
  if (settlement.error !== undefined) {
    ctx.nodes[index] = withoutGrant({ ...node, cost, agentId: outcome.agentId })
    failNode(ctx, index, settlement.error)
    dispatch(ctx, fx)
    return
  }
  const done: DagNodeState = { ...withoutGrant(node), phase: 'succeeded', cost, agentId: outcome.agentId, output: outcome.output }
  delete done.error
  delete done.avoidAgents
  ctx.nodes[index] = done
  ctx.settled++
  const graph = ctx.graph as DagGraph
  const end = graph.dependentsStart[index + 1] as number
  for (let e = graph.dependentsStart[index] as number; e < end; e++) {
    const d = graph.dependents[e] as number
    ctx.waiting[d]--
    if (ctx.waiting[d] === 0 && ctx.nodes[d]?.phase === 'pending') {
      ctx.nodes[d] = { ...(ctx.nodes[d] as DagNodeState), phase: 'ready' }
      heapPush(ctx.ready, d)
      if (ctx.spec.nodes[d]?.budget === undefined) ctx.unbudgetedWaiting++
    }
  }
  dispatch(ctx, fx)
}

/** Attempt `attempt` of node `index` failed: retry it later, or fail the node. Stale failures are ignored. */
export function stepFailed (ctx: DagRunContext, index: number, attempt: number, failure: DagAttemptFailure, fx: DagEffect[]): void {
  const node = endAttempt(ctx, index, attempt, failure, fx)
  if (node === undefined) return
  const { error, agentId } = failure
  const avoidAgents = agentId === undefined || node.avoidAgents?.includes(agentId) === true
    ? node.avoidAgents
    : [...(node.avoidAgents ?? []), agentId]
  const base = withoutGrant(avoidAgents === undefined ? { ...node } : { ...node, avoidAgents })
  if (agentId !== undefined) base.agentId = agentId
  const spec = ctx.spec.nodes[index]
  const policy = resolveRetryPolicy(spec?.retry, ctx.spec.retry)
  if (!ctx.halted && isRetryable(error) && node.attempts < policy.maxAttempts) {
    ctx.nodes[index] = { ...base, phase: 'backoff', error }
    if (spec?.budget === undefined) ctx.unbudgetedWaiting++
    fx.push({ type: 'retryLater', timerId: retryTimer(index), delay: backoffDelay(policy, node.attempts), index })
  } else {
    ctx.nodes[index] = base
    failNode(ctx, index, error)
  }
  dispatch(ctx, fx)
}

/** The backoff of node `index` is over: queue it again. */
export function retryDue (ctx: DagRunContext, index: number, fx: DagEffect[]): void {
  const node = ctx.nodes[index]
  if (node?.phase !== 'backoff') return
  ctx.nodes[index] = { ...node, phase: 'ready' }
  heapPush(ctx.ready, index)
  dispatch(ctx, fx)
}

/** Whether attempt `attempt` of node `index` is the one running now. */
export function isRunningAttempt (ctx: DagRunContext, index: number, attempt: number): boolean {
  const node = ctx.nodes[index]
  return node !== undefined && node.phase === 'running' && node.attempts === attempt
}

/**
 * Wind the run down once the step runner has stopped (aborting running
 * attempts): running nodes end `cancelled` with `nodeError`, pending retries
 * are cancelled, and what never ran is marked `skipped`.
 * O(V), once per run.
 */
export function haltRun (ctx: DagRunContext, status: DagRunStatus, runError: WireError | null, nodeError: WireError, fx: DagEffect[]): void {
  for (let i = 0; i < ctx.nodes.length; i++) {
    const node = ctx.nodes[i] as DagNodeState
    switch (node.phase) {
      case 'running': // its attempt was aborted when the step runner stopped
        if (ctx.spec.nodes[i]?.timeout !== undefined) fx.push({ type: 'cancelTimer', timerId: timeoutTimer(i) })
        ctx.nodes[i] = withoutGrant({ ...node, phase: 'cancelled', error: nodeError })
        break
      case 'backoff':
        fx.push({ type: 'cancelTimer', timerId: retryTimer(i) })
        ctx.nodes[i] = { ...node, phase: 'cancelled', error: nodeError }
        break
      case 'ready': // queued again after a failed attempt: it did run, so it is cancelled, not skipped
        ctx.nodes[i] = node.attempts > 0 ? { ...node, phase: 'cancelled', error: nodeError } : { ...node, phase: 'skipped' }
        break
      case 'pending':
        ctx.nodes[i] = { ...node, phase: 'skipped' }
        break
      default:
        break
    }
  }
  ctx.running = 0
  ctx.reserved = 0
  ctx.unbudgetedWaiting = 0
  ctx.ready = []
  ctx.settled = ctx.nodes.length
  ctx.status = status
  ctx.error = runError
}

/** The run's error after node failures: the first failed node, and how many failed. */
export function failureError (ctx: DagRunContext): WireError {
  const index = ctx.firstFailure
  const id = ctx.spec.nodes[index]?.id ?? String(index)
  const cause = ctx.nodes[index]?.error
  const message = ctx.failedCount > 1
    ? `${ctx.failedCount} nodes failed; first "${id}": ${cause?.message ?? 'failed'}`
    : `node "${id}" failed: ${cause?.message ?? 'failed'}`
  const details: Record<string, unknown> = { nodeId: id, failedNodes: ctx.failedCount }
  if (cause !== undefined) details.cause = cause
  return { code: 'STEP_FAILED', message, details }
}

/** The failure policy in force. */
export function failurePolicy (ctx: DagRunContext): DagFailurePolicy {
  return ctx.spec.failurePolicy ?? 'fail-fast'
}

/** Close the running attempt's books (times included); undefined when the attempt is not the one running. */
function endAttempt (ctx: DagRunContext, index: number, attempt: number, times: { startedAt?: number, finishedAt?: number }, fx: DagEffect[]): DagNodeState | undefined {
  if (!isRunningAttempt(ctx, index, attempt)) return undefined
  const node = { ...(ctx.nodes[index] as DagNodeState) }
  if (node.startedAt === undefined && times.startedAt !== undefined) node.startedAt = times.startedAt
  if (times.finishedAt !== undefined) node.finishedAt = times.finishedAt
  if (ctx.spec.nodes[index]?.timeout !== undefined) fx.push({ type: 'cancelTimer', timerId: timeoutTimer(index) })
  ctx.running--
  if (node.grant !== undefined) ctx.reserved = ctx.running === 0 ? 0 : ctx.reserved - node.grant // no rounding drift once idle
  return node
}

/** Mark node `index` failed for good and apply the failure policy. */
function failNode (ctx: DagRunContext, index: number, error: WireError): void {
  ctx.nodes[index] = withoutGrant({ ...(ctx.nodes[index] as DagNodeState), phase: 'failed', error })
  ctx.settled++
  ctx.failedCount++
  if (ctx.firstFailure < 0) ctx.firstFailure = index
  if (failurePolicy(ctx) === 'fail-fast') {
    ctx.halted = true
    return
  }
  skipDependents(ctx, index)
}

/** Mark every node downstream of `index` that has not settled as skipped (each node once: O(V+E) per run). */
function skipDependents (ctx: DagRunContext, index: number): void {
  const graph = ctx.graph as DagGraph
  const queue = [index]
  while (queue.length > 0) {
    const u = queue.pop() as number
    const end = graph.dependentsStart[u + 1] as number
    for (let e = graph.dependentsStart[u] as number; e < end; e++) {
      const d = graph.dependents[e] as number
      if (ctx.nodes[d]?.phase !== 'pending') continue
      ctx.nodes[d] = { ...(ctx.nodes[d] as DagNodeState), phase: 'skipped' }
      ctx.settled++
      queue.push(d)
    }
  }
}

function withoutGrant (node: DagNodeState): DagNodeState {
  if (node.grant === undefined) return node
  const { grant: _grant, ...rest } = node
  return rest
}
