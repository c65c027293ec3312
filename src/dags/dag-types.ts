/**
 * The shapes of a DAG workflow: the spec a user writes (after
 * {@link parseDag} normalised it), and the result a run resolves with.
 * Everything here is plain data, so a run's context can be persisted.
 */
import type { WireError } from '../errors.ts'
import type { RetryPolicy } from '../workflow/retry-policy.ts'

/** What a run does when a node fails for good (after its retries). */
export type DagFailurePolicy = 'fail-fast' | 'continue'

/** Retry settings (the chains' policy); a node's missing fields fall back to the DAG's `retry`, then to the defaults (one attempt). */
export type DagRetrySpec = Partial<RetryPolicy>

/** One node of a DAG: a task for an agent, run once all its dependencies succeeded. */
export interface DagNodeSpec {
  /** Unique in the DAG. */
  id: string
  /** For people; defaults to the id. */
  name?: string
  /** A fixed agent, or ... */
  agentId?: string
  /** ... an agent offering all of these capabilities. */
  capabilities?: string[]
  /** Selection strategy when choosing by capability. */
  strategy?: string
  /** What the agent is asked to do; defaults to the node id. */
  taskType: string
  /** Static input; mapped values are merged over it. */
  input?: Record<string, unknown>
  /** `{ "<dependency id>.<path>": "<input key>" }`: values taken from dependencies' outputs. */
  inputMapping?: Record<string, string>
  /** Ids of the nodes that must succeed before this one starts. */
  dependencies?: string[]
  /** Milliseconds one attempt may take. */
  timeout?: number
  /** The most this node may cost; a reported cost above it fails the node with `BUDGET_EXCEEDED`. */
  budget?: number
  retry?: DagRetrySpec
}

/**
 * A DAG workflow, as {@link parseDag} returns it (camelCase, nodes as a list
 * in spec order, durations in milliseconds).
 *
 * @example
 * ```ts
 * const spec: DagSpec = {
 *   name: 'diamond',
 *   maxParallelism: 2,
 *   nodes: [
 *     { id: 'fetch', taskType: 'fetch-data', capabilities: ['data-fetch'] },
 *     { id: 'left', taskType: 'process', capabilities: ['data-processing'], dependencies: ['fetch'], inputMapping: { 'fetch.data': 'input_data' } },
 *     { id: 'right', taskType: 'process', capabilities: ['data-processing'], dependencies: ['fetch'], inputMapping: { 'fetch.data': 'input_data' } },
 *     { id: 'combine', taskType: 'combine', capabilities: ['data-aggregation'], dependencies: ['left', 'right'],
 *       inputMapping: { 'left.result': 'part1', 'right.result': 'part2' } }
 *   ]
 * }
 * ```
 */
export interface DagSpec {
  /** The run id; generated when missing. */
  id?: string
  name: string
  description?: string
  userId?: string
  nodes: DagNodeSpec[]
  /** Nodes running at once; 0 (the default) means unlimited. */
  maxParallelism?: number
  /** Cost the whole run may spend. */
  totalBudget?: number
  /** Milliseconds the whole run may take; running nodes are aborted after it. */
  timeout?: number
  /** Default `fail-fast`. */
  failurePolicy?: DagFailurePolicy
  /** Retry defaults for every node. */
  retry?: DagRetrySpec
}

/** How a node ended. */
export type DagNodeStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled'

/** How a run ended. */
export type DagRunStatus = 'completed' | 'failed' | 'cancelled' | 'timed_out'

/** One node's outcome. */
export interface DagNodeResult {
  status: DagNodeStatus
  /** The agent of the last attempt that answered. */
  agentId?: string
  output?: unknown
  error?: WireError
  /** Cost reported by all attempts. */
  cost: number
  /** Attempts started (0 when the node never ran). */
  attempts: number
  /** Epoch milliseconds of the first attempt's start (when the service ran it). */
  startedAt?: number
  /** Epoch milliseconds of the last attempt's end (when the service ran it). */
  finishedAt?: number
}

/** What a run resolves with: every node's outcome. */
export interface DagResult {
  /** The run id (fresh for every run unless the caller chose one; node attempts' message ids derive from it). */
  id: string
  /** The spec's id, when it had one. */
  dagId?: string
  name: string
  status: DagRunStatus
  nodes: Record<string, DagNodeResult>
  /** Outputs of the sink nodes (nodes nothing depends on) that succeeded. */
  outputs: Record<string, unknown>
  totalCost: number
  /** The most nodes that ran at once. */
  maxParallelismObserved: number
  /** Why the run did not complete. */
  error?: WireError
}
