/**
 * `node.dags`: starts DAG workflow runs as dag-run actors on the node's
 * actor host, and answers with their results.
 */
import { randomUUID } from 'node:crypto'
import type { ActorRefFrom } from 'xstate'
import { ZeroStateError } from '../errors.ts'
import type { StepExecutor, StepRequest } from '../workflow/step-executor.ts'
import type { WorkflowRun, WorkflowRunInfo } from '../workflow/run-registry.ts'
import { WorkflowServiceBase, type WorkflowService, type WorkflowServiceInit, type WorkflowStartOptions } from '../workflow/workflow-service.ts'
import { createStepAttempt, type StepAttempt } from '../../actors/execute-step.ts'
import { createStepRunner } from '../../actors/step-runner.ts'
import { dagRunMachine } from '../../machines/dag-run.ts'
import { createDagMetrics, type DagMetrics } from './dag-metrics.ts'
import { parseDag, type DagSpecInput } from './parse-dag.ts'
import type { DagResult, DagRunStatus } from './dag-types.ts'

/** The dag-run actor of one run (watch its state chart with `actor.subscribe`). */
export type DagRunActor = ActorRefFrom<typeof dagRunMachine>

/** What {@link DagService.start} returns. */
export type DagRun = WorkflowRun<DagRunActor, DagResult>

/** A running or recently finished run (its actor while running, its result once finished). */
export type DagRunInfo = WorkflowRunInfo<DagRunActor, DagResult, DagRunStatus>

/**
 * DAG workflows of one node: `execute`, `start`, `get`, `cancel` and `stop`
 * as in {@link WorkflowService}, over DAG specs (see {@link parseDag}); a
 * cyclic spec throws a CycleError before anything runs. Every run gets a
 * fresh run id `dag-<uuid>` unless `runId` names one; the spec's own id is
 * `result.dagId`.
 *
 * @example
 * ```ts
 * const result = await node.dags.execute({
 *   name: 'diamond',
 *   nodes: {
 *     fetch: { capabilities: ['data-fetch'] },
 *     left: { capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
 *     right: { capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
 *     combine: { capabilities: ['data-aggregation'], dependencies: ['left', 'right'] }
 *   }
 * }, { signal: AbortSignal.timeout(60_000) })
 * const { status, outputs } = result // 'completed', { combine: ... }
 * ```
 */
export type DagService = WorkflowService<DagSpecInput, DagRunActor, DagResult, DagRunStatus>

/** Build the DAG service of a node. */
export function createDagService (init: WorkflowServiceInit): DagService {
  return new DefaultDagService(init)
}

class DefaultDagService extends WorkflowServiceBase<DagSpecInput, DagRunActor, DagResult, DagRunStatus> {
  private readonly metrics: DagMetrics
  private readonly logic

  constructor (init: WorkflowServiceInit) {
    super(init, { kind: 'DAG', cancel: (actor, reason) => { actor.send(reason === undefined ? { type: 'cancel' } : { type: 'cancel', reason }) } })
    this.metrics = createDagMetrics(init.registry)
    const attempt = createStepAttempt(this.logStarts(init.executeStep), { clock: this.clock, onSettled: (request, outcome) => { this.attemptSettled(request, outcome) } })
    this.logic = dagRunMachine.provide({ actors: { stepRunner: createStepRunner(attempt) } })
  }

  start (input: DagSpecInput, options: WorkflowStartOptions = {}): DagRun {
    const spec = parseDag(input)
    const id = options.runId ?? `dag-${randomUUID()}`
    let startedAt = 0
    const spawn = (hostId: string): DagRunActor => { // after the registry checked the id is free
      startedAt = this.clock.now()
      this.metrics.executions.inc()
      this.metrics.nodesCount.observe(spec.nodes.length)
      this.logger.info({ runId: id, dag: spec.name, nodes: spec.nodes.length }, 'dag run started')
      return this.host.spawn(this.logic, { id: hostId, input: { runId: id, spec } })
    }
    return this.runs.launch(id, spawn, actor => {
      const snapshot = actor.getSnapshot()
      if (snapshot.status !== 'done') throw new ZeroStateError('INTERNAL', `DAG run "${id}" stopped with status ${snapshot.status}`, { cause: snapshot.error })
      this.recordEnd(snapshot.output, this.clock.now() - startedAt)
      return snapshot.output
    })
  }

  /** Count, time and log one finished run. */
  private recordEnd (result: DagResult, elapsedMs: number): void {
    if (result.status === 'completed') this.metrics.success.inc()
    else this.metrics.failure.inc({ status: result.status })
    this.metrics.duration.observe({ status: result.status }, elapsedMs / 1000)
    this.metrics.parallelism.set(result.maxParallelismObserved)
    const fields = { runId: result.id, dag: result.name, status: result.status, totalCost: result.totalCost, ms: elapsedMs, maxParallelism: result.maxParallelismObserved }
    if (result.status === 'completed') this.logger.info(fields, 'dag run completed')
    else this.logger.warn({ ...fields, error: result.error }, 'dag run did not complete')
  }

  /** The node's executor, logging each attempt's start at debug level (no promise of its own: attempts in flight stay cheap). */
  private logStarts (executeStep: StepExecutor): StepExecutor {
    return (request, signal) => {
      if (this.logger.isLevelEnabled('debug')) this.logger.debug({ runId: request.runId, nodeId: request.stepId, attempt: request.attempt }, 'dag node attempt started')
      return executeStep(request, signal)
    }
  }

  /** Time and log one settled node attempt. */
  private attemptSettled (request: StepRequest, attempt: StepAttempt): void {
    const status = attempt.ok ? 'succeeded' : 'failed'
    this.metrics.nodeDuration.observe({ status }, (attempt.finishedAt - attempt.startedAt) / 1000)
    if (!this.logger.isLevelEnabled('debug')) return
    const fields = { runId: request.runId, nodeId: request.stepId, attempt: request.attempt }
    if (attempt.ok) this.logger.debug({ ...fields, agentId: attempt.agentId, cost: attempt.cost }, 'dag node attempt succeeded')
    else this.logger.debug({ ...fields, err: attempt.error }, 'dag node attempt failed')
  }
}
