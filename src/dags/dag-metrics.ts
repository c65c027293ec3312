/**
 * Prometheus metrics of DAG workflows (the seed's names), registered on a
 * registry handed in (never the global one). Create one object per node:
 * prom-client refuses to register a metric name twice on one registry.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** The DAG metrics of one node. */
export interface DagMetrics {
  /** `zerostate_dag_executions_total`: runs started. */
  executions: Counter
  /** `zerostate_dag_executions_success`: runs that completed. */
  success: Counter
  /** `zerostate_dag_executions_failure{status}`: runs that failed, were cancelled or timed out. */
  failure: Counter<'status'>
  /** `zerostate_dag_execution_duration_seconds{status}` */
  duration: Histogram<'status'>
  /** `zerostate_dag_nodes_count`: nodes per run. */
  nodesCount: Histogram
  /** `zerostate_dag_parallelism`: most nodes running at once in the last finished run. */
  parallelism: Gauge
  /** `zerostate_dag_node_duration_seconds{status}`: one node attempt, `succeeded` or `failed`. */
  nodeDuration: Histogram<'status'>
}

/**
 * Register the DAG metrics on `registry`.
 *
 * @example
 * ```ts
 * const metrics = createDagMetrics(new Registry())
 * metrics.executions.inc()
 * ```
 */
export function createDagMetrics (registry: Registry): DagMetrics {
  const registers = [registry]
  return {
    executions: new Counter({ name: 'zerostate_dag_executions_total', help: 'DAG workflow runs started', registers }),
    success: new Counter({ name: 'zerostate_dag_executions_success', help: 'DAG workflow runs that completed', registers }),
    failure: new Counter({
      name: 'zerostate_dag_executions_failure',
      help: 'DAG workflow runs that did not complete, by status (failed, cancelled, timed_out)',
      labelNames: ['status'],
      registers
    }),
    duration: new Histogram({
      name: 'zerostate_dag_execution_duration_seconds',
      help: 'Time from a DAG run starting to its end, by status',
      labelNames: ['status'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers
    }),
    nodesCount: new Histogram({
      name: 'zerostate_dag_nodes_count',
      help: 'Nodes in a DAG run',
      buckets: [1, 2, 5, 10, 20, 50, 100, 500, 1000, 10_000],
      registers
    }),
    parallelism: new Gauge({ name: 'zerostate_dag_parallelism', help: 'Most DAG nodes running at once in the last finished run', registers }),
    nodeDuration: new Histogram({
      name: 'zerostate_dag_node_duration_seconds',
      help: 'Time one DAG node attempt took, by outcome (succeeded, failed)',
      labelNames: ['status'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers
    })
  }
}
