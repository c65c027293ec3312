/**
 * The one seam between workflow runs (chains, DAGs) and the mesh: a run's
 * machine invokes the named actor `executeStep` with a {@link StepRequest};
 * the node supplies an implementation that sends the task EXACTLY_ONCE over
 * the bus with a message id derived from (runId, stepId, attempt).
 */

/** One attempt of one step (or DAG node), as plain data. */
export interface StepRequest {
  runId: string
  stepId: string
  /** 1 for the first attempt. */
  attempt: number
  /** A fixed agent, or ... */
  agentId?: string
  /** ... an agent offering all of these capabilities. */
  capabilities?: string[]
  /** Selection strategy when choosing by capability. */
  strategy?: string
  taskType: string
  input: Record<string, unknown>
  /** Milliseconds; the agent's ctx.signal fires at the deadline. */
  timeoutMs?: number
  budget?: number
  /** Agents that failed earlier attempts, to prefer another one with the same capability. */
  avoidAgents?: string[]
}

/** What a successful attempt produced. */
export interface StepOutcome {
  agentId: string
  output: unknown
  cost: number
}

/** The payload a workflow step sends to an agent; the agent's `handle(task)` receives this. */
export interface WorkflowTask {
  taskType: string
  input: Record<string, unknown>
  runId: string
  stepId: string
}

/** Runs one attempt. Rejects with a ZeroStateError (TIMEOUT, HANDLER_ERROR, NO_AGENT, ...). */
export type StepExecutor = (request: StepRequest, signal: AbortSignal) => Promise<StepOutcome>
