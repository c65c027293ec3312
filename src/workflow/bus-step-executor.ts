/**
 * The real StepExecutor: each attempt of a step goes over the bus
 * EXACTLY_ONCE with a message id derived from (run id, step id, attempt), to
 * a fixed agent or to one chosen by capability (avoiding agents that failed
 * earlier attempts where another one qualifies).
 */
import type { MessageBus, Reply, RequestOptions } from '../bus-types.ts'
import { ZeroStateError, isZeroStateError } from '../errors.ts'
import { ExpiringMap } from '../util/expiring-map.ts'
import type { StepExecutor, WorkflowTask } from './step-executor.ts'
import { stepMessageId } from './step-id.ts'

/** Request timeout when a step names none, ms. */
export const DEFAULT_STEP_TIMEOUT_MS = 30_000
/** How long (ms) and for how many steps the agents of failed attempts by capability are remembered. */
const FAILED_AGENTS_TTL_MS = 10 * 60_000
const FAILED_AGENTS_MAX_STEPS = 10_000

/**
 * @example
 * ```ts
 * const chains = createChainService({ host, executeStep: createBusStepExecutor(node.bus), registry, logger })
 * ```
 */
export function createBusStepExecutor (bus: MessageBus): StepExecutor {
  // A run learns which agent failed an attempt from the attempt's error, except
  // when the run's own step timer ended the attempt first (a step timeout on an
  // unreachable agent): the attempt is then aborted and its error discarded. So
  // the executor, which saw the agent, remembers it for the step's next attempts.
  const failedAgents = new ExpiringMap<string, string[]>({ ttlMs: FAILED_AGENTS_TTL_MS, maxEntries: FAILED_AGENTS_MAX_STEPS })
  return async (request, signal) => {
    const task: WorkflowTask = { taskType: request.taskType, input: request.input, runId: request.runId, stepId: request.stepId }
    const options: RequestOptions = {
      id: stepMessageId(request.runId, request.stepId, request.attempt),
      delivery: 'EXACTLY_ONCE',
      timeout: request.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
      signal,
      ...(request.budget === undefined ? {} : { budget: request.budget })
    }
    let reply: Reply
    if (request.agentId !== undefined) {
      reply = await bus.call(request.agentId, task, options)
    } else {
      const [first, ...rest] = request.capabilities ?? []
      if (first === undefined) throw new ZeroStateError('INVALID_SPEC', `step "${request.stepId}" names neither an agent nor capabilities`)
      const step = JSON.stringify([request.runId, request.stepId])
      const failed = failedAgents.get(step) ?? []
      const exclude = [...new Set([...request.avoidAgents ?? [], ...failed])]
      try {
        reply = await bus.call({
          capability: first,
          capabilities: rest,
          ...(request.strategy === undefined ? {} : { strategy: request.strategy }),
          ...(exclude.length === 0 ? {} : { exclude })
        }, task, options)
      } catch (err) {
        const agentId = isZeroStateError(err) ? err.details?.agentId : undefined
        if (typeof agentId === 'string' && !failed.includes(agentId)) failedAgents.set(step, [...failed, agentId])
        throw err
      }
      failedAgents.delete(step)
    }
    return { agentId: reply.agentId, output: reply.payload, cost: reply.cost }
  }
}
