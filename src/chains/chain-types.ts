/**
 * Task chains: the spec a user writes, the validated plan a chain-run actor
 * executes, and the result it produces. All plain data.
 */
import type { WireError } from '../errors.ts'
import type { RetryPolicy } from '../workflow/retry-policy.ts'

/** When a step runs (default `on_success`); see docs/TASK_CHAINING.md. */
export type StepCondition = 'on_success' | 'on_failure' | 'always'

/** One step as a user writes it (camelCase; `parseChain` also takes the seed's snake_case). */
export interface ChainStepSpec {
  /** Unique in the chain; defaults to `name`. No dots. */
  id?: string
  /** Defaults to `id`; one of the two is required. */
  name?: string
  /** A fixed agent, or ... */
  agentId?: string
  /** ... any agent offering all of these capabilities (a retry may pick another one). */
  capabilities?: string[]
  /** Selection strategy for capabilities (`first`, `random`, `least-loaded`, `auction`, ...). */
  strategy?: string
  taskType: string
  /** Static input; mapped values are merged over it. */
  input?: Record<string, unknown>
  /** `{ "<source path>": "<input key>" }`: source is a path into the last successful output, or `"<step id or name>.<path>"`. */
  inputMapping?: Record<string, string>
  condition?: StepCondition
  /** Per attempt: milliseconds or a string like `"15s"`. */
  timeout?: number | string
  /** Most this step may cost. */
  budget?: number
  /** Overrides the chain's retry policy field by field. */
  retry?: Partial<RetryPolicy>
}

/** A chain as a user writes it. */
export interface ChainSpec {
  id?: string
  /** Defaults to `id`; one of the two is required. */
  name?: string
  description?: string
  userId?: string
  steps: ChainStepSpec[]
  /** Most the whole run may cost. */
  totalBudget?: number
  /** Default retry policy of every step. */
  retry?: Partial<RetryPolicy>
}

/** A validated step, ready to run. */
export interface ChainStepPlan {
  id: string
  name: string
  agentId?: string
  capabilities?: string[]
  strategy?: string
  taskType: string
  input: Record<string, unknown>
  inputMapping?: Record<string, string>
  condition: StepCondition
  timeoutMs?: number
  budget?: number
  retry: Required<RetryPolicy>
}

/** A validated chain (the output of `parseChain`, the input of a chain run). */
export interface ChainPlan {
  id?: string
  name: string
  description?: string
  userId?: string
  steps: ChainStepPlan[]
  totalBudget?: number
}

/** How a run ended. */
export type ChainStatus = 'completed' | 'failed' | 'cancelled'

/** How a step ended. */
export type ChainStepStatus = 'succeeded' | 'failed' | 'skipped'

/** One step of a {@link ChainResult}. */
export interface ChainStepResult {
  id: string
  name: string
  status: ChainStepStatus
  /** The agent of the last attempt, when known. */
  agentId?: string
  output?: unknown
  error?: WireError
  /** What the step was charged, all attempts together. */
  cost: number
  /** Attempts started (0 for a skipped step or one the budget refused). */
  attempts: number
  /** Epoch ms when the first attempt that reported back started (attempts the run ended itself, by timeout or cancel, report no times). */
  startedAt?: number
  /** Epoch ms when the last attempt that reported back finished. */
  finishedAt?: number
}

/** What a chain run produced. */
export interface ChainResult {
  /** The run id. */
  id: string
  /** The spec's id, when it had one. */
  chainId?: string
  name: string
  status: ChainStatus
  steps: ChainStepResult[]
  /** The output of the last step that succeeded. */
  output?: unknown
  totalCost: number
  /** Why the run failed (`STEP_FAILED` with the step and its error) or `CANCELLED`. */
  error?: WireError
}
