/**
 * The real StepExecutor: each attempt of a step goes over the bus
 * EXACTLY_ONCE with a message id derived from (run id, step id, attempt), to
 * a fixed agent or to one chosen by capability (avoiding agents that failed
 * earlier attempts where another one qualifies).
 */
import type { MessageBus, Reply, RequestOptions } from '../bus-types.ts'
import { ZeroStateError } from '../errors.ts'
import type { StepExecutor, WorkflowTask } from './step-executor.ts'
import { stepMessageId } from './step-id.ts'

/** Request timeout when a step names none, ms. */
export const DEFAULT_STEP_TIMEOUT_MS = 30_000

/**
 * @example
 * ```ts
 * const chains = createChainService({ host, executeStep: createBusStepExecutor(node.bus), registry, logger })
 * ```
 */
export function createBusStepExecutor (bus: MessageBus): StepExecutor {
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
      reply = await bus.call({
        capability: first,
        capabilities: rest,
        ...(request.strategy === undefined ? {} : { strategy: request.strategy }),
        ...(request.avoidAgents === undefined ? {} : { exclude: request.avoidAgents })
      }, task, options)
    }
    return { agentId: reply.agentId, output: reply.payload, cost: reply.cost }
  }
}
