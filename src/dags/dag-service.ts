/**
 * `node.dags`: starts DAG workflow runs as dag-run actors on the node's
 * actor host, and answers with their results.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { ActorRefFrom } from 'xstate'
import { AbortedError, ZeroStateError } from '../errors.ts'
import type { ActorHost } from '../actor-host.ts'
import type { StepExecutor, StepRequest } from '../workflow/step-executor.ts'
import { rememberBounded, resultCancelledOnAbort, settleAll } from '../workflow/run-lifecycle.ts'
import { createStepAttempt, type StepAttempt } from '../../actors/execute-step.ts'
import { createStepRunner } from '../../actors/step-runner.ts'
import { dagRunMachine } from '../../machines/dag-run.ts'
import { createDagMetrics, type DagMetrics } from './dag-metrics.ts'
import { parseDag, type DagSpecInput } from './parse-dag.ts'
import type { DagResult, DagRunStatus } from './dag-types.ts'

/** The dag-run actor of one run (watch its state chart with `actor.subscribe`). */
export type DagRunActor = ActorRefFrom<typeof dagRunMachine>

/** What {@link DagService.start} returns. */
export interface DagRun {
  id: string
  actor: DagRunActor
  /** Resolves when the run ends, whatever its status; never rejects for node failures. */
  result: Promise<DagResult>
}

/** A running or recently finished run. */
export interface DagRunInfo {
  id: string
  status: 'running' | DagRunStatus
  /** While running. */
  actor?: DagRunActor
  /** Once finished. */
  result?: DagResult
}

/** What the node hands the service. */
export interface DagServiceInit {
  host: ActorHost
  executeStep: StepExecutor
  registry: Registry
  logger: Logger
  /** Time source for run durations and node times. Default `Date`. */
  clock?: { now: () => number }
  /** Finished runs {@link DagService.get} remembers. Default 100. */
  keepFinished?: number
}

/** Options of {@link DagService.start}. */
export interface DagStartOptions {
  /**
   * The run id (unique among running runs); default a fresh `dag-<uuid>` for every run (the spec's
   * own id is `result.dagId`). Node attempts' message ids derive from it, so pass the id of an
   * earlier run only to resume that run: its attempts then get that run's cached answers.
   */
  runId?: string
}

/**
 * DAG workflows of one node.
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
 * const combined = result.status === 'completed' ? result.outputs.combine : undefined
 * ```
 */
export interface DagService {
  /**
   * Parse, validate and run a DAG; resolves with its result when it ends. An
   * abort of `signal` cancels the run, which then resolves with status
   * `cancelled`.
   *
   * @throws InvalidSpecError or CycleError before anything runs
   * @throws AbortedError when `signal` is already aborted
   */
  execute: (spec: DagSpecInput, options?: { signal?: AbortSignal } & DagStartOptions) => Promise<DagResult>
  /**
   * Parse, validate and start a DAG; returns at once with the run's actor.
   *
   * @throws InvalidSpecError or CycleError before anything runs
   * @throws ZeroStateError `INVALID_ARGUMENT` when a run with that id is still running
   */
  start: (spec: DagSpecInput, options?: DagStartOptions) => DagRun
  /** A running or recent run, or undefined. */
  get: (id: string) => DagRunInfo | undefined
  /** Cancel a running run (running nodes are aborted). False when no such run is running. */
  cancel: (id: string, reason?: string) => boolean
  /** Cancel every running run and wait for them to end (node shutdown). */
  stop: (options?: { signal?: AbortSignal }) => Promise<void>
}

interface ActiveRun { actor: DagRunActor, result: Promise<DagResult> }

/** Build the DAG service of a node. */
export function createDagService (init: DagServiceInit): DagService {
  return new DefaultDagService(init)
}

class DefaultDagService implements DagService {
  private readonly host: ActorHost
  private readonly logger: Logger
  private readonly clock: { now: () => number }
  private readonly metrics: DagMetrics
  private readonly keepFinished: number
  private readonly logic
  private readonly active = new Map<string, ActiveRun>()
  private readonly finished = new Map<string, DagResult>()

  constructor (init: DagServiceInit) {
    this.host = init.host
    this.logger = init.logger
    this.clock = init.clock ?? Date
    this.keepFinished = init.keepFinished ?? 100
    this.metrics = createDagMetrics(init.registry)
    const attempt = createStepAttempt(this.logStarts(init.executeStep), { clock: this.clock, onSettled: (request, outcome) => { this.attemptSettled(request, outcome) } })
    this.logic = dagRunMachine.provide({ actors: { stepRunner: createStepRunner(attempt) } })
  }

  async execute (spec: DagSpecInput, options: { signal?: AbortSignal } & DagStartOptions = {}): Promise<DagResult> {
    const { signal } = options
    if (signal?.aborted === true) throw new AbortedError('DAG run not started: the signal was already aborted', { cause: signal.reason })
    const run = this.start(spec, options.runId === undefined ? {} : { runId: options.runId })
    return await resultCancelledOnAbort(run.result, signal, () => { this.cancel(run.id, 'aborted by the caller') })
  }

  start (input: DagSpecInput, options: DagStartOptions = {}): DagRun {
    const spec = parseDag(input)
    const id = options.runId ?? `dag-${randomUUID()}`
    if (this.active.has(id)) throw new ZeroStateError('INVALID_ARGUMENT', `a DAG run with id "${id}" is already running`, { details: { id } })
    const startedAt = this.clock.now()
    this.metrics.executions.inc()
    this.metrics.nodesCount.observe(spec.nodes.length)
    this.logger.info({ runId: id, dag: spec.name, nodes: spec.nodes.length }, 'dag run started')
    const hostId = `dag:${id}`
    const actor = this.host.spawn(this.logic, { id: hostId, input: { runId: id, spec } })
    let resolve!: (result: DagResult) => void
    let reject!: (err: unknown) => void
    const result = new Promise<DagResult>((res, rej) => { resolve = res; reject = rej })
    this.active.set(id, { actor, result })
    let subscription: { unsubscribe: () => void } | undefined
    const settle = (): void => {
      subscription?.unsubscribe()
      this.active.delete(id)
      this.host.stop(hostId)
      const snapshot = actor.getSnapshot()
      if (snapshot.status !== 'done') {
        reject(new ZeroStateError('INTERNAL', `DAG run "${id}" stopped with status ${snapshot.status}`, { cause: snapshot.error }))
        return
      }
      this.recordEnd(snapshot.output, this.clock.now() - startedAt)
      resolve(snapshot.output)
    }
    if (actor.getSnapshot().status === 'active') subscription = actor.subscribe({ complete: settle, error: settle })
    else settle()
    return { id, actor, result }
  }

  get (id: string): DagRunInfo | undefined {
    const run = this.active.get(id)
    if (run !== undefined) return { id, status: 'running', actor: run.actor }
    const result = this.finished.get(id)
    return result === undefined ? undefined : { id, status: result.status, result }
  }

  cancel (id: string, reason?: string): boolean {
    const run = this.active.get(id)
    if (run === undefined) return false
    run.actor.send(reason === undefined ? { type: 'cancel' } : { type: 'cancel', reason })
    return true
  }

  async stop (options: { signal?: AbortSignal } = {}): Promise<void> {
    const pending = [...this.active.entries()].map(([id, run]) => {
      this.cancel(id, 'the node is stopping')
      return run.result
    })
    await settleAll(pending, { ...options, what: 'stopping DAG runs' })
  }

  /** Count, time and log one finished run, and remember its result. */
  private recordEnd (result: DagResult, elapsedMs: number): void {
    if (result.status === 'completed') this.metrics.success.inc()
    else this.metrics.failure.inc({ status: result.status })
    this.metrics.duration.observe({ status: result.status }, elapsedMs / 1000)
    this.metrics.parallelism.set(result.maxParallelismObserved)
    const fields = { runId: result.id, dag: result.name, status: result.status, totalCost: result.totalCost, ms: elapsedMs, maxParallelism: result.maxParallelismObserved }
    if (result.status === 'completed') this.logger.info(fields, 'dag run completed')
    else this.logger.warn({ ...fields, error: result.error }, 'dag run did not complete')
    rememberBounded(this.finished, result.id, result, this.keepFinished)
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
