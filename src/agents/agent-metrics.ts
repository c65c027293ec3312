/**
 * Prometheus metrics of agents, registered on a registry handed in (never the
 * global one). Create one object per node: prom-client refuses to register a
 * metric name twice on the same registry.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import { TallyCounter } from '../metrics/tally-counter.ts'
import { TallyHistogram } from '../metrics/tally-histogram.ts'
import type { TaskOutcome } from '../../machines/agent-types.ts'

/** The agent metrics of one node. */
export interface AgentMetrics {
  /** `zerostate_agent_restarts_total{agent}` */
  restarts: Counter<'agent'>
  /** `zerostate_agent_tasks_total{agent,outcome}` */
  tasks: TallyCounter<'agent' | 'outcome'>
  /** `zerostate_agent_task_duration_seconds{agent}` */
  taskDuration: TallyHistogram
  /** `zerostate_agent_queue_depth{agent}` */
  queueDepth: Gauge<'agent'>
}

/** Outcomes counted in `zerostate_agent_tasks_total`. */
export const TASK_OUTCOMES: readonly TaskOutcome[] = ['succeeded', 'failed', 'crashed', 'rejected', 'stopped', 'cancelled']

/**
 * Register the agent metrics on `registry`.
 *
 * @example
 * ```ts
 * const registry = new Registry()
 * const metrics = createAgentMetrics(registry)
 * metrics.tasks.inc({ agent: 'echo', outcome: 'succeeded' })
 * ```
 */
export function createAgentMetrics (registry: Registry): AgentMetrics {
  const registers = [registry]
  return {
    restarts: new Counter({
      name: 'zerostate_agent_restarts_total',
      help: 'Agent restarts after a crash',
      labelNames: ['agent'],
      registers
    }),
    tasks: new TallyCounter({
      name: 'zerostate_agent_tasks_total',
      help: 'Tasks answered by agents, by outcome (succeeded, failed, crashed, rejected, stopped, cancelled)',
      labelNames: ['agent', 'outcome'],
      registers
    }),
    taskDuration: new TallyHistogram({
      name: 'zerostate_agent_task_duration_seconds',
      help: 'Time from a task starting on an agent to its answer',
      labelNames: ['agent'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers
    }),
    queueDepth: new Gauge({
      name: 'zerostate_agent_queue_depth',
      help: 'Tasks waiting in an agent\'s mailbox',
      labelNames: ['agent'],
      registers
    })
  }
}
