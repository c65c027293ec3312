/**
 * `node.chains`: starts task chain runs as chain-run actors on the node's
 * actor host, logs and measures their steps, and answers with their results.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { ActorRefFrom } from 'xstate'
import type { WorkflowRun, WorkflowRunInfo } from '../workflow/run-registry.ts'
import { WorkflowServiceBase, type WorkflowService, type WorkflowServiceInit, type WorkflowStartOptions } from '../workflow/workflow-service.ts'
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
export type ChainRun = WorkflowRun<ChainRunActor, ChainResult>

/** A running or recently finished run (its actor, stopped once the run ended, and its result once finished). */
export type ChainRunInfo = WorkflowRunInfo<ChainRunActor, ChainResult, ChainStatus>

/**
 * Task chains of one node: `execute`, `start`, `get`, `cancel` and `stop`
 * as in {@link WorkflowService}, over chain specs (see {@link parseChain}).
 * Every run gets a fresh run id (a UUID) unless `runId` names one; the
 * spec's own id is `result.chainId`.
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
 * const { status, output, totalCost } = result // 'completed', the last step's output, the summed cost
 * ```
 */
export type ChainService = WorkflowService<ChainSpecInput, ChainRunActor, ChainResult, ChainStatus>

/** Build the chain service of a node. */
export function createChainService (init: WorkflowServiceInit): ChainService {
  return new DefaultChainService(init)
}

class DefaultChainService extends WorkflowServiceBase<ChainSpecInput, ChainRunActor, ChainResult, ChainStatus> {
  private readonly metrics: ChainMetrics
  private readonly logic

  constructor (init: WorkflowServiceInit) {
    super(init, { kind: 'chain', keepActors: true, cancel: (actor, reason) => { actor.send(reason === undefined ? { type: 'CANCEL' } : { type: 'CANCEL', reason }) } })
    this.metrics = createChainMetrics(init.registry)
    this.logic = chainRunMachine.provide({ actors: { executeStep: createExecuteStepActor(init.executeStep, { clock: this.clock }) } })
  }

  start (spec: ChainSpecInput, options: WorkflowStartOptions = {}): ChainRun {
    const chain = parseChain(spec)
    const id = options.runId ?? randomUUID()
    const log = this.logger.child({ runId: id, chain: chain.name, ...(chain.id === undefined ? {} : { chainId: chain.id }), ...(chain.userId === undefined ? {} : { userId: chain.userId }) })
    let startedAt = 0
    let unobserve = (): void => {}
    const spawn = (hostId: string): ChainRunActor => { // after the registry checked the id is free
      startedAt = this.clock.now()
      this.metrics.executions.inc()
      this.metrics.stepsCount.observe(chain.steps.length)
      log.info({ steps: chain.steps.length }, 'chain run started')
      const actor = this.host.spawn(this.logic, { id: hostId, input: { runId: id, chain } })
      unobserve = this.observeSteps(actor, chain, log)
      return actor
    }
    return this.runs.launch(id, spawn, actor => {
      unobserve()
      const output = resultOf(actor, id, chain)
      this.recordEnd(output, this.clock.now() - startedAt, log)
      return output
    })
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

  /** Count, time and log one finished run. */
  private recordEnd (result: ChainResult, elapsedMs: number, log: Logger): void {
    if (result.status === 'completed') this.metrics.success.inc()
    else this.metrics.failure.inc({ status: result.status })
    this.metrics.duration.observe({ status: result.status }, elapsedMs / 1000)
    const fields = { status: result.status, totalCost: result.totalCost, ms: elapsedMs }
    if (result.status === 'completed') log.info(fields, 'chain run completed')
    else log.warn({ ...fields, error: result.error }, 'chain run did not complete')
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
