/**
 * Prometheus metrics of task chains (the seed's names), registered on a
 * registry handed in (never the global one). Create one object per node:
 * prom-client refuses to register a metric name twice on one registry.
 */
import { Counter, Histogram, type Registry } from 'prom-client'

/** The chain metrics of one node. */
export interface ChainMetrics {
  /** `zerostate_chain_executions_total`: runs started. */
  executions: Counter
  /** `zerostate_chain_executions_success`: runs that completed. */
  success: Counter
  /** `zerostate_chain_executions_failure{status}`: runs that failed or were cancelled. */
  failure: Counter<'status'>
  /** `zerostate_chain_execution_duration_seconds{status}`: run start to end. */
  duration: Histogram<'status'>
  /** `zerostate_chain_step_duration_seconds{status}`: one step that ran, all attempts and backoff included. */
  stepDuration: Histogram<'status'>
  /** `zerostate_chain_steps_count`: steps per chain run. */
  stepsCount: Histogram
}

/**
 * Register the chain metrics on `registry`.
 *
 * @example
 * ```ts
 * const metrics = createChainMetrics(new Registry())
 * metrics.executions.inc()
 * ```
 */
export function createChainMetrics (registry: Registry): ChainMetrics {
  const registers = [registry]
  return {
    executions: new Counter({ name: 'zerostate_chain_executions_total', help: 'Task chain runs started', registers }),
    success: new Counter({ name: 'zerostate_chain_executions_success', help: 'Task chain runs that completed', registers }),
    failure: new Counter({
      name: 'zerostate_chain_executions_failure',
      help: 'Task chain runs that did not complete, by status (failed, cancelled)',
      labelNames: ['status'],
      registers
    }),
    duration: new Histogram({
      name: 'zerostate_chain_execution_duration_seconds',
      help: 'Time from a chain run starting to its end, by status',
      labelNames: ['status'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers
    }),
    stepDuration: new Histogram({
      name: 'zerostate_chain_step_duration_seconds',
      help: 'Time one chain step took (all its attempts), by outcome (succeeded, failed)',
      labelNames: ['status'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers
    }),
    stepsCount: new Histogram({
      name: 'zerostate_chain_steps_count',
      help: 'Steps in a chain run',
      buckets: [1, 2, 3, 5, 10, 20, 50, 100, 500],
      registers
    })
  }
}
