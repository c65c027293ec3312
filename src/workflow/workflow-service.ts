/**
 * What the workflow services (`node.chains`, `node.dags`) share: the options
 * a node hands them, their public surface, and a base class that keeps their
 * runs in a {@link RunRegistry} (each service adds parsing, its machine,
 * metrics and logs in `start`).
 */
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { AnyActorRef } from 'xstate'
import type { ActorHost } from '../actor-host.ts'
import type { StepExecutor } from './step-executor.ts'
import { createRunRegistry, type RunRegistry, type RunRegistryOptions, type WorkflowRun, type WorkflowRunInfo } from './run-registry.ts'

/** What the node hands a workflow service. */
export interface WorkflowServiceInit {
  host: ActorHost
  executeStep: StepExecutor
  registry: Registry
  logger: Logger
  /** Time source for step times and run durations. Default `Date`. */
  clock?: { now: () => number }
  /** Finished runs `get` remembers. Default 100. */
  keepFinished?: number
}

/** Options of a workflow service's `start`. */
export interface WorkflowStartOptions {
  /**
   * The run id (unique among running runs); default a fresh id for every run.
   * Step message ids derive from it, so pass the id of an earlier run only to
   * resume that run: its steps then get that run's cached answers.
   */
  runId?: string
}

/**
 * The surface of a workflow service over specs `Spec`, run actors `A`,
 * results `R` and final statuses `S`.
 *
 * @example
 * ```ts
 * const run = node.dags.start(spec)
 * node.dags.get(run.id)?.status // 'running'
 * node.dags.cancel(run.id, 'not needed')
 * const result = await run.result // status 'cancelled'
 * ```
 */
export interface WorkflowService<Spec, A, R, S> {
  /**
   * Parse, validate and run a workflow; resolves with its result when it
   * ends, whatever its status. An abort of `signal` cancels the run, which
   * then resolves with status `cancelled`.
   *
   * @throws InvalidSpecError (or, for a DAG, CycleError) before anything runs
   * @throws AbortedError when `signal` is already aborted
   */
  execute: (spec: Spec, options?: { signal?: AbortSignal } & WorkflowStartOptions) => Promise<R>
  /**
   * Parse, validate and start a workflow; returns at once with the run's actor.
   *
   * @throws InvalidSpecError (or, for a DAG, CycleError) before anything runs
   * @throws ZeroStateError `INVALID_ARGUMENT` when `runId` names a running run
   */
  start: (spec: Spec, options?: WorkflowStartOptions) => WorkflowRun<A, R>
  /** A running or recent run, or undefined. */
  get: (id: string) => WorkflowRunInfo<A, R, S> | undefined
  /** Cancel a running run (what runs is aborted, the rest skipped). False when no such run is running. */
  cancel: (id: string, reason?: string) => boolean
  /** Cancel every running run and wait for them to end (node shutdown). */
  stop: (options?: { signal?: AbortSignal }) => Promise<void>
}

/**
 * A workflow service without its `start`: the run bookkeeping both services
 * share. A subclass parses the spec and hands `this.runs.launch` the spawn of
 * its run actor and the reading of its result.
 *
 * @example
 * ```ts
 * class DefaultDagService extends WorkflowServiceBase<DagSpecInput, DagRunActor, DagResult, DagRunStatus> {
 *   start (input: DagSpecInput, options: WorkflowStartOptions = {}): DagRun {
 *     const spec = parseDag(input)
 *     const id = options.runId ?? `dag-${randomUUID()}`
 *     return this.runs.launch(id, hostId => this.host.spawn(logic, { id: hostId, input: { runId: id, spec } }), actor => outputOf(actor))
 *   }
 * }
 * ```
 */
export abstract class WorkflowServiceBase<Spec, A extends AnyActorRef, R extends { id: string, status: S }, S extends string> implements WorkflowService<Spec, A, R, S> {
  protected readonly host: ActorHost
  protected readonly logger: Logger
  protected readonly clock: { now: () => number }
  protected readonly runs: RunRegistry<A, R, S>

  constructor (init: WorkflowServiceInit, runs: Omit<RunRegistryOptions<A>, 'host' | 'keepFinished'>) {
    this.host = init.host
    this.logger = init.logger
    this.clock = init.clock ?? Date
    this.runs = createRunRegistry({ ...runs, host: init.host, ...(init.keepFinished === undefined ? {} : { keepFinished: init.keepFinished }) })
  }

  abstract start (spec: Spec, options?: WorkflowStartOptions): WorkflowRun<A, R>

  async execute (spec: Spec, options: { signal?: AbortSignal } & WorkflowStartOptions = {}): Promise<R> {
    return await this.runs.execute(() => this.start(spec, options.runId === undefined ? {} : { runId: options.runId }), options.signal)
  }

  get (id: string): WorkflowRunInfo<A, R, S> | undefined {
    return this.runs.get(id)
  }

  cancel (id: string, reason?: string): boolean {
    return this.runs.cancel(id, reason)
  }

  async stop (options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.runs.stop(options)
  }
}
