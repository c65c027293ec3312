/**
 * `node.chains`: starts task chain runs as chain-run actors on the node's
 * actor host, logs and measures their steps, and answers with their results.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { ActorRefFrom } from 'xstate'
import { AbortedError, ZeroStateError } from '../errors.ts'
import type { ActorHost } from '../actor-host.ts'
import type { StepExecutor } from '../workflow/step-executor.ts'
import { rememberBounded, resultCancelledOnAbort, settleAll } from '../workflow/run-lifecycle.ts'
import { createExecuteStepActor } from '../../actors/execute-step.ts'
import { chainRunMachine, type ChainRunEmitted } from '../../machines/chain-run.ts'
import { createChainMetrics, type ChainMetrics } from './chain-metrics.ts'
import { parseChain } from './parse-chain.ts'
import type { ChainPlan, ChainResult, ChainSpec, ChainStatus } from './chain-types.ts'

/** A chain as the API takes it: a {@link ChainSpec}, the seed's snake_case JSON object, or that JSON as a string. */
export type ChainSpecInput = ChainSpec | Record<string, unknown> | string

/** The chain-run actor of one run (watch its state chart with `actor.subscribe`). */
export type ChainRunActor = ActorRefFrom<typeof chainRunMachine>

/** What {@link ChainService.start} returns. */
export interface ChainRun {
  /** The run id (fresh for every run; the spec's own id is `result.chainId`). */
  id: string
  actor: ChainRunActor
  /** Resolves when the run ends, whatever its status; never rejects. */
  result: Promise<ChainResult>
}

/** A running or recently finished run. */
export interface ChainRunInfo {
  id: string
  status: 'running' | ChainStatus
  /** The run's actor (stopped once the run ended). */
  actor?: ChainRunActor
  /** Once finished. */
  result?: ChainResult
}

/** What the node hands the service. */
export interface ChainServiceInit {
  host: ActorHost
  executeStep: StepExecutor
  registry: Registry
  logger: Logger
  /** Time source for step times and durations. Default `Date`. */
  clock?: { now: () => number }
  /** Finished runs {@link ChainService.get} remembers. Default 100. */
  keepFinished?: number
}

/** Options of {@link ChainService.start}. */
export interface ChainStartOptions {
  /** The run id (unique among running runs); default a fresh UUID. Step message ids derive from it. */
  runId?: string
}

/**
 * Task chains of one node.
 *
 * @example
 * ```ts
 * const result = await node.chains.execute({
 *   name: 'image-pipeline',
 *   steps: [
 *     { name: 'upload', capabilities: ['upload'], taskType: 'upload', input: { file: 'cat.png' } },
 *     { name: 'resize', capabilities: ['resize'], taskType: 'resize', inputMapping: { upload_url: 'url' }, timeout: '15s' },
 *     { name: 'store', capabilities: ['store'], taskType: 'store', inputMapping: { 'resize.url': 'url' } }
 *   ]
 * }, { signal: AbortSignal.timeout(60_000) })
 * if (result.status === 'completed') console.log(result.output, result.totalCost)
 * ```
 */
export interface ChainService {
  /**
   * Parse, validate and run a chain; resolves with its result when it ends,
   * whether it completed or failed. An abort of `signal` cancels the run,
   * which then resolves with status `cancelled`.
   *
   * @throws InvalidSpecError before anything runs
   * @throws AbortedError when `signal` is already aborted
   */
  execute: (spec: ChainSpecInput, options?: { signal?: AbortSignal } & ChainStartOptions) => Promise<ChainResult>
  /**
   * Parse, validate and start a chain; returns at once with the run's actor.
   *
   * @throws InvalidSpecError before anything runs
   * @throws ZeroStateError `INVALID_ARGUMENT` when `runId` names a running run
   */
  start: (spec: ChainSpecInput, options?: ChainStartOptions) => ChainRun
  /** A running or recent run, or undefined. */
  get: (id: string) => ChainRunInfo | undefined
  /** Cancel a running run (its running step is aborted, the rest skipped). False when no such run is running. */
  cancel: (id: string, reason?: string) => boolean
  /** Cancel every running run and wait for them to end (node shutdown). */
  stop: (options?: { signal?: AbortSignal }) => Promise<void>
}

interface ActiveRun { actor: ChainRunActor, result: Promise<ChainResult> }

/** Build the chain service of a node. */
export function createChainService (init: ChainServiceInit): ChainService {
  return new DefaultChainService(init)
}

class DefaultChainService implements ChainService {
  private readonly host: ActorHost
  private readonly logger: Logger
  private readonly clock: { now: () => number }
  private readonly metrics: ChainMetrics
  private readonly keepFinished: number
  private readonly logic
  private readonly active = new Map<string, ActiveRun>()
  private readonly finished = new Map<string, { actor: ChainRunActor, result: ChainResult }>()

  constructor (init: ChainServiceInit) {
    this.host = init.host
    this.logger = init.logger
    this.clock = init.clock ?? Date
    this.keepFinished = init.keepFinished ?? 100
    this.metrics = createChainMetrics(init.registry)
    this.logic = chainRunMachine.provide({ actors: { executeStep: createExecuteStepActor(init.executeStep, { clock: this.clock }) } })
  }

  async execute (spec: ChainSpecInput, options: { signal?: AbortSignal } & ChainStartOptions = {}): Promise<ChainResult> {
    const { signal } = options
    if (signal?.aborted === true) throw new AbortedError('chain run not started: the signal was already aborted', { cause: signal.reason })
    const run = this.start(spec, options.runId === undefined ? {} : { runId: options.runId })
    return await resultCancelledOnAbort(run.result, signal, () => { this.cancel(run.id, 'aborted by the caller') })
  }

  start (spec: ChainSpecInput, options: ChainStartOptions = {}): ChainRun {
    const chain = parseChain(spec)
    const id = options.runId ?? randomUUID()
    if (this.active.has(id)) throw new ZeroStateError('INVALID_ARGUMENT', `a chain run with id "${id}" is already running`, { details: { id } })
    const startedAt = this.clock.now()
    const log = this.logger.child({ runId: id, chain: chain.name, ...(chain.id === undefined ? {} : { chainId: chain.id }), ...(chain.userId === undefined ? {} : { userId: chain.userId }) })
    this.metrics.executions.inc()
    this.metrics.stepsCount.observe(chain.steps.length)
    log.info({ steps: chain.steps.length }, 'chain run started')
    const hostId = `chain:${id}`
    const actor = this.host.spawn(this.logic, { id: hostId, input: { runId: id, chain } })
    const unobserve = this.observeSteps(actor, chain, log)
    const result = new Promise<ChainResult>(resolve => {
      let subscription: { unsubscribe: () => void } | undefined
      const settle = (): void => {
        subscription?.unsubscribe()
        unobserve()
        this.active.delete(id)
        this.host.stop(hostId)
        const output = resultOf(actor, id, chain)
        this.recordEnd(actor, output, this.clock.now() - startedAt, log)
        resolve(output)
      }
      if (actor.getSnapshot().status !== 'active') {
        settle()
        return
      }
      subscription = actor.subscribe({ complete: settle, error: settle })
    })
    if (actor.getSnapshot().status === 'active') this.active.set(id, { actor, result })
    return { id, actor, result }
  }

  get (id: string): ChainRunInfo | undefined {
    const run = this.active.get(id)
    if (run !== undefined) return { id, status: 'running', actor: run.actor }
    const done = this.finished.get(id)
    return done === undefined ? undefined : { id, status: done.result.status, actor: done.actor, result: done.result }
  }

  cancel (id: string, reason?: string): boolean {
    const run = this.active.get(id)
    if (run === undefined) return false
    run.actor.send(reason === undefined ? { type: 'CANCEL' } : { type: 'CANCEL', reason })
    return true
  }

  async stop (options: { signal?: AbortSignal } = {}): Promise<void> {
    const pending = [...this.active.entries()].map(([id, run]) => {
      this.cancel(id, 'the node is stopping')
      return run.result
    })
    await settleAll(pending, { ...options, what: 'stopping chain runs' })
  }

  /**
   * Log every step and time the ones that ran. The host starts the actor
   * before anyone can listen, so what already happened is replayed from the
   * snapshot. Returns the unsubscribe function.
   */
  private observeSteps (actor: ChainRunActor, chain: ChainPlan, log: Logger): () => void {
    const stepStarted = new Map<number, number>()
    const onStarted = (event: Extract<ChainRunEmitted, { type: 'step.started' }>): void => {
      if (event.attempt === 1) stepStarted.set(event.index, this.clock.now())
      if (log.isLevelEnabled('debug')) {
        const { agentId, capabilities, budget } = event.request
        log.debug({ stepId: event.stepId, step: event.stepName, attempt: event.attempt, agentId, capabilities, budget }, 'chain step started')
      }
    }
    const onRetrying = (event: Extract<ChainRunEmitted, { type: 'step.retrying' }>): void => {
      log.warn({ stepId: event.stepId, step: event.stepName, attempt: event.attempt, delayMs: event.delayMs, error: event.error }, 'chain step attempt failed; retrying')
    }
    const onFinished = (event: Extract<ChainRunEmitted, { type: 'step.finished' }>): void => {
      const { step } = event
      const fields = { stepId: step.id, step: step.name, status: step.status, attempts: step.attempts, agentId: step.agentId, cost: step.cost }
      const started = stepStarted.get(event.index)
      if (started !== undefined) {
        const ms = this.clock.now() - started
        this.metrics.stepDuration.observe({ status: step.status }, ms / 1000)
        stepStarted.delete(event.index)
        if (step.status === 'failed') log.warn({ ...fields, ms, error: step.error }, 'chain step failed')
        else log.info({ ...fields, ms }, 'chain step finished')
      } else if (step.status === 'failed') {
        log.warn({ ...fields, error: step.error }, step.attempts === 0 ? 'chain step not started' : 'chain step failed')
      } else if (log.isLevelEnabled('debug')) {
        log.debug({ ...fields, condition: chain.steps[event.index]?.condition }, 'chain step skipped')
      }
    }
    const subscriptions = [actor.on('step.started', onStarted), actor.on('step.retrying', onRetrying), actor.on('step.finished', onFinished)]
    const { context } = actor.getSnapshot()
    const runId = context.runId
    context.steps.forEach((step, index) => {
      if (step.status === 'running' && context.request !== null) {
        onStarted({ type: 'step.started', runId, stepId: step.id, stepName: step.name, index, attempt: context.attempt, request: context.request })
      } else if (step.status !== 'pending' && step.status !== 'running') {
        onFinished({ type: 'step.finished', runId, index, step: { ...step, status: step.status } })
      }
    })
    return () => { for (const subscription of subscriptions) subscription.unsubscribe() }
  }

  /** Count, time and log one finished run, and remember it. */
  private recordEnd (actor: ChainRunActor, result: ChainResult, elapsedMs: number, log: Logger): void {
    if (result.status === 'completed') this.metrics.success.inc()
    else this.metrics.failure.inc({ status: result.status })
    this.metrics.duration.observe({ status: result.status }, elapsedMs / 1000)
    const fields = { status: result.status, totalCost: result.totalCost, ms: elapsedMs }
    if (result.status === 'completed') log.info(fields, 'chain run completed')
    else log.warn({ ...fields, error: result.error }, 'chain run did not complete')
    rememberBounded(this.finished, result.id, { actor, result }, this.keepFinished)
  }
}

/** The run's result; an actor that stopped without finishing (it should not) gives a failed result. */
function resultOf (actor: ChainRunActor, id: string, chain: ChainPlan): ChainResult {
  const snapshot = actor.getSnapshot()
  if (snapshot.status === 'done') return snapshot.output
  const message = snapshot.status === 'error' && snapshot.error instanceof Error ? snapshot.error.message : `chain run stopped with status ${snapshot.status}`
  return {
    id,
    ...(chain.id === undefined ? {} : { chainId: chain.id }),
    name: chain.name,
    status: 'failed',
    steps: snapshot.context.steps.map(step => ({ ...step, status: step.status === 'succeeded' ? 'succeeded' : step.status === 'pending' ? 'skipped' : 'failed' })),
    totalCost: snapshot.context.spent,
    error: { code: 'INTERNAL', message }
  }
}
