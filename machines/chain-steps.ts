/**
 * Pure helpers of the chain-run machine: which step comes next and whether
 * it runs, how its input is mapped, what an attempt is charged, and the
 * result. Plain data in, plain data out; no I/O, no time.
 */
import type { WireError } from '../src/errors.ts'
import type { StepAttempt } from '../actors/execute-step.ts'
import type { ChainPlan, ChainResult, ChainStatus, ChainStepPlan, ChainStepResult, StepCondition } from '../src/chains/chain-types.ts'
import type { StepRequest } from '../src/workflow/step-executor.ts'
import { stepBudgetDecision, settleCost } from '../src/workflow/budget.ts'
import { getPath, tryApplyInputMapping, type PathLookup } from '../src/workflow/input-mapping.ts'

/** A step while the run is under way: `pending` and `running` become final statuses in the result. */
export interface ChainStepState extends Omit<ChainStepResult, 'status'> {
  status: ChainStepResult['status'] | 'pending' | 'running'
}

/** The chain-run machine's context: plain data only (persisted and resumed later). */
export interface ChainRunContext {
  runId: string
  chain: ChainPlan
  status: 'running' | ChainStatus
  /** The step being decided or run. */
  index: number
  /** Healthy until a step fails; an `on_failure` step that succeeds makes it healthy again. */
  healthy: boolean
  /** Total cost charged so far. */
  spent: number
  steps: ChainStepState[]
  /** Step index by id, and by name: mapping sources name earlier steps. */
  stepIds: Record<string, number>
  stepNames: Record<string, number>
  /** Index of the most recent step that succeeded, -1 when none. */
  lastSucceeded: number
  /** The attempt under way (1-based). */
  attempt: number
  /** Budget granted to the current step; null when unlimited. */
  grant: number | null
  /** Agents that failed earlier attempts of the current step. */
  avoidAgents: string[]
  /** The request of the attempt under way. */
  request: StepRequest | null
  /** How the latest attempt ended, after settling its cost. */
  lastAttempt: SettledAttempt | null
  /** The failure that made the run failing (the root cause), or the cancellation. */
  failure: { stepId: string, error: WireError } | null
}

/** An attempt's outcome with its cost settled against the grant. */
export type SettledAttempt =
  | { ok: true, agentId: string, output: unknown, charged: number }
  | { ok: false, error: WireError, agentId?: string, charged: number }

/** What to do with the step at `context.index`. */
export type StepPlan =
  | { kind: 'done' }
  | { kind: 'skip' }
  | { kind: 'refuse', error: WireError }
  | { kind: 'run', input: Record<string, unknown>, grant: number | undefined }

/** The initial context of a run. */
export function initialChainContext (runId: string, chain: ChainPlan): ChainRunContext {
  return {
    runId,
    chain,
    status: 'running',
    index: 0,
    healthy: true,
    spent: 0,
    steps: chain.steps.map(step => ({ id: step.id, name: step.name, status: 'pending', cost: 0, attempts: 0 })),
    stepIds: indexBy(chain.steps, step => step.id),
    stepNames: indexBy(chain.steps, step => step.name),
    lastSucceeded: -1,
    attempt: 0,
    grant: null,
    avoidAgents: [],
    request: null,
    lastAttempt: null,
    failure: null
  }
}

/** Whether a step with `condition` runs while the run is healthy or failing. */
export function conditionHolds (condition: StepCondition, healthy: boolean): boolean {
  if (condition === 'always') return true
  return condition === 'on_success' ? healthy : !healthy
}

/** Decide the step at `context.index`: skip it, refuse it (budget, mapping), or run it. */
export function planStep (context: ChainRunContext): StepPlan {
  const step = context.chain.steps[context.index]
  if (step === undefined) return { kind: 'done' }
  if (!conditionHolds(step.condition, context.healthy)) return { kind: 'skip' }
  const budget = stepBudgetDecision({ totalBudget: context.chain.totalBudget, spent: context.spent, stepBudget: step.budget })
  if (!budget.ok) return { kind: 'refuse', error: budget.error }
  const mapped = tryApplyInputMapping(step.input, step.inputMapping, path => resolveChainSource(context, path))
  if (!mapped.ok) return { kind: 'refuse', error: mapped.error }
  return { kind: 'run', input: mapped.input, grant: budget.grant }
}

/**
 * Resolve a mapping source: `"<step id or name>.<path>"` reads an earlier
 * step's output (ids win over names); any other path reads the output of the
 * most recent step that succeeded.
 */
export function resolveChainSource (context: ChainRunContext, path: string): PathLookup {
  const dot = path.indexOf('.')
  const head = dot < 0 ? path : path.slice(0, dot)
  const named = earlierStep(context, head)
  if (named >= 0) {
    const step = context.steps[named]
    return step?.status === 'succeeded' ? getPath(step.output, dot < 0 ? '' : path.slice(dot + 1)) : { found: false }
  }
  const last = context.steps[context.lastSucceeded]
  return last === undefined ? { found: false } : getPath(last.output, path)
}

/** The index of the earlier step with id `key` (else name `key`), or -1. */
function earlierStep (context: ChainRunContext, key: string): number {
  const byId = lookup(context.stepIds, key)
  if (byId !== undefined && byId < context.index) return byId
  const byName = lookup(context.stepNames, key)
  return byName !== undefined && byName < context.index ? byName : -1
}

function lookup (table: Record<string, number>, key: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined
}

/** The request of attempt `attempt` of the current step. */
export function stepRequest (context: ChainRunContext, step: ChainStepPlan, input: Record<string, unknown>, attempt: number, grant: number | null, avoidAgents: string[]): StepRequest {
  const request: StepRequest = { runId: context.runId, stepId: step.id, attempt, taskType: step.taskType, input }
  if (step.agentId !== undefined) request.agentId = step.agentId
  if (step.capabilities !== undefined) request.capabilities = [...step.capabilities]
  if (step.strategy !== undefined) request.strategy = step.strategy
  if (step.timeoutMs !== undefined) request.timeoutMs = step.timeoutMs
  if (grant !== null) request.budget = grant
  if (avoidAgents.length > 0) request.avoidAgents = [...avoidAgents]
  return request
}

/** Settle an attempt's reported cost against the step's grant (a cost above it fails the step). */
export function settleAttempt (attempt: StepAttempt, grant: number | null): SettledAttempt {
  if (!attempt.ok) return attempt.agentId === undefined ? { ok: false, error: attempt.error, charged: 0 } : { ok: false, error: attempt.error, agentId: attempt.agentId, charged: 0 }
  const settled = settleCost(grant ?? undefined, attempt.cost)
  if (settled.error !== undefined) return { ok: false, error: settled.error, agentId: attempt.agentId, charged: settled.charged }
  return { ok: true, agentId: attempt.agentId, output: attempt.output, charged: settled.charged }
}

/** The run's result from its final context. */
export function chainResult (context: ChainRunContext): ChainResult {
  const status: ChainStatus = context.status === 'running' ? 'failed' : context.status
  const last = context.steps[context.lastSucceeded]
  const result: ChainResult = {
    id: context.runId,
    name: context.chain.name,
    status,
    steps: context.steps.map(finalStep),
    totalCost: context.spent
  }
  if (context.chain.id !== undefined) result.chainId = context.chain.id
  if (last !== undefined) result.output = last.output
  if (status !== 'completed' && context.failure !== null) result.error = runError(context.failure)
  return result
}

function runError (failure: { stepId: string, error: WireError }): WireError {
  if (failure.error.code === 'CANCELLED') return failure.error
  return {
    code: 'STEP_FAILED',
    message: `step "${failure.stepId}" failed: ${failure.error.message}`,
    details: { stepId: failure.stepId, cause: failure.error }
  }
}

function finalStep (step: ChainStepState): ChainStepResult {
  if (step.status === 'pending') return { ...step, status: 'skipped' }
  if (step.status === 'running') return { ...step, status: 'failed' }
  return { ...step, status: step.status }
}

/** A plain-object index (first occurrence wins; parseChain keeps ids and names unique). */
function indexBy<T> (items: readonly T[], key: (item: T) => string): Record<string, number> {
  const table: Record<string, number> = {}
  items.forEach((item, index) => {
    const k = key(item)
    if (!Object.prototype.hasOwnProperty.call(table, k)) Object.defineProperty(table, k, { value: index, enumerable: true, writable: true, configurable: true })
  })
  return table
}
