/**
 * The bookkeeping of a workflow service's runs (`node.chains`, `node.dags`):
 * one actor per run on the node's actor host, the runs still running, a
 * bounded number of finished ones, caller aborts turned into cancellation,
 * and shutdown.
 */
import type { AnyActorRef } from 'xstate'
import { AbortedError, ZeroStateError } from '../errors.ts'
import type { ActorHost } from '../actor-host.ts'
import { rememberBounded, resultCancelledOnAbort, settleAll } from './run-lifecycle.ts'

/** A started run. */
export interface WorkflowRun<A, R> {
  id: string
  actor: A
  /** Resolves when the run ends, whatever its status. */
  result: Promise<R>
}

/** A running or recently finished run. */
export interface WorkflowRunInfo<A, R, S> {
  id: string
  status: 'running' | S
  /** While running (and, where the service keeps them, once finished). */
  actor?: A
  /** Once finished. */
  result?: R
}

/** How one kind of run is cancelled, ends and is remembered. */
export interface RunRegistryOptions<A> {
  host: ActorHost
  /** The kind of run, in messages (`chain`, `DAG`); lower-cased, the prefix of its actors' host ids. */
  kind: string
  /** Finished runs remembered. Default 100. */
  keepFinished?: number
  /** Whether `get` of a finished run still gives its (stopped) actor. Default false. */
  keepActors?: boolean
  /** Send the run's actor its cancel event. */
  cancel: (actor: A, reason: string | undefined) => void
}

/** The runs of one workflow service. */
export interface RunRegistry<A, R, S> {
  /**
   * Spawn a run's actor on the host (as `<kind>:<id>`) and follow it to its
   * end: `ended(actor)` then gives the result (and may count and log it); if
   * it throws, the run's `result` rejects with that error.
   *
   * @throws ZeroStateError `INVALID_ARGUMENT` when a run with that id is still running
   */
  launch: (id: string, spawn: (hostId: string) => A, ended: (actor: A) => R) => WorkflowRun<A, R>
  /** Start with `start()` and wait for the result; an abort of `signal` cancels the run. */
  execute: (start: () => WorkflowRun<A, R>, signal?: AbortSignal) => Promise<R>
  get: (id: string) => WorkflowRunInfo<A, R, S> | undefined
  cancel: (id: string, reason?: string) => boolean
  stop: (options?: { signal?: AbortSignal }) => Promise<void>
}

/**
 * Build the run bookkeeping of a workflow service.
 *
 * @example
 * ```ts
 * const runs = createRunRegistry<DagRunActor, DagResult, DagRunStatus>({
 *   host, kind: 'DAG', cancel: (actor, reason) => { actor.send({ type: 'cancel', reason }) }
 * })
 * const run = runs.launch(id, hostId => host.spawn(logic, { id: hostId, input }), actor => outputOf(actor))
 * ```
 */
export function createRunRegistry<A extends AnyActorRef, R extends { id: string, status: S }, S extends string> (options: RunRegistryOptions<A>): RunRegistry<A, R, S> {
  const { host, kind, cancel: sendCancel } = options
  const keepFinished = options.keepFinished ?? 100
  const keepActors = options.keepActors ?? false
  const prefix = kind.toLowerCase()
  const active = new Map<string, { actor: A, result: Promise<R> }>()
  const finished = new Map<string, { actor?: A, result: R }>()

  const cancel = (id: string, reason?: string): boolean => {
    const run = active.get(id)
    if (run === undefined) return false
    sendCancel(run.actor, reason)
    return true
  }

  return {
    launch (id, spawn, ended) {
      if (active.has(id)) throw new ZeroStateError('INVALID_ARGUMENT', `a ${kind} run with id "${id}" is already running`, { details: { id } })
      const hostId = `${prefix}:${id}`
      const actor = spawn(hostId)
      const result = new Promise<R>((resolve, reject) => {
        let subscription: { unsubscribe: () => void } | undefined
        const settle = (): void => {
          subscription?.unsubscribe()
          active.delete(id)
          host.stop(hostId)
          let output: R
          try {
            output = ended(actor)
          } catch (err) {
            reject(err)
            return
          }
          rememberBounded(finished, output.id, keepActors ? { actor, result: output } : { result: output }, keepFinished)
          resolve(output)
        }
        if (actor.getSnapshot().status !== 'active') {
          settle()
          return
        }
        subscription = actor.subscribe({ complete: settle, error: settle })
      })
      if (actor.getSnapshot().status === 'active') active.set(id, { actor, result })
      return { id, actor, result }
    },

    async execute (start, signal) {
      if (signal?.aborted === true) throw new AbortedError(`${kind} run not started: the signal was already aborted`, { cause: signal.reason })
      const run = start()
      return await resultCancelledOnAbort(run.result, signal, () => { cancel(run.id, 'aborted by the caller') })
    },

    get (id) {
      const run = active.get(id)
      if (run !== undefined) return { id, status: 'running', actor: run.actor }
      const done = finished.get(id)
      if (done === undefined) return undefined
      return done.actor === undefined ? { id, status: done.result.status, result: done.result } : { id, status: done.result.status, actor: done.actor, result: done.result }
    },

    cancel,

    async stop (stopOptions = {}) {
      const pending = [...active.entries()].map(([id, run]) => {
        cancel(id, 'the node is stopping')
        return run.result
      })
      await settleAll(pending, { ...stopOptions, what: `stopping ${kind} runs` })
    }
  }
}
