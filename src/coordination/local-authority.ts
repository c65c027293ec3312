/**
 * The built-in coordination backend: one authority in this process that
 * hosts a lock actor per resource, a shared-state actor per key and a barrier
 * actor per barrier name (machines/), started through an {@link ActorHost} so
 * they live in the node's actor system.
 *
 * Guarantees: one grant per (caller, requestId) however often it is retried
 * (results are remembered for `resultTtlMs`); fencing tokens strictly increase
 * per resource for the authority's lifetime (the counter outlives idle lock
 * actors); leases expire on the actors' clock. Limits: it is one process; if
 * it stops, its locks, state and barriers are gone and every waiting caller
 * gets `COORDINATOR_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const authority = createLocalAuthority({ host: createStandaloneHost(), registry, logger })
 * const coordination = createCoordinationClient({ backend: authority, holder: node.address })
 * // when an agent stops or a node leaves:
 * authority.releaseHolder(agentId)
 * ```
 */
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { ActorHost } from '../actor-host.ts'
import { errorToWire } from '../errors.ts'
import type { CoordinationBackend, NotificationListener, OpContext } from './coordination-backend.ts'
import { fail, nodeOf, ok, type AuthorityRequest, type AuthorityScope } from './authority-scope.ts'
import { createCoordinationMetrics } from './coordination-metrics.ts'
import { ExpiringMap } from '../util/expiring-map.ts'
import { ListenerRegistry } from './listener-registry.ts'
import { parseOp, type CoordinationOp, type CoordinationResult, type OpName, type ResultOf } from './protocol.ts'
import { LockTable } from './authority-locks.ts'
import { StateTable } from './authority-state.ts'
import { BarrierTable } from './authority-barriers.ts'

/** The time source for `expiresAt`, `updatedAt` and wait metrics (the actors' delays use the host's clock). */
export interface CoordinationClock {
  now: () => number
}

export interface LocalAuthorityInit {
  host: ActorHost
  registry: Registry
  logger: Logger
  /** Default `Date`. Pass the same SimulatedClock the host's actors use in tests. */
  clock?: CoordinationClock
  /** How long answers are remembered for retries with the same request id. Default 120 000 ms. */
  resultTtlMs?: number
  /** Cap on remembered answers (oldest dropped first). Default 100 000. */
  maxRememberedResults?: number
  /** Idle lock and barrier actors kept alive for reuse (most recently used first). Default 256. */
  keepIdleActors?: number
}

/** The built-in backend, plus what its node calls on membership changes. */
export interface LocalAuthority extends CoordinationBackend {
  /** Release every lease, queued request, barrier wait and watch of a holder (agent id) or of all agents of a node (node address). */
  releaseHolder: (holder: string) => void
  /** Stop every actor; waiting callers get `COORDINATOR_UNAVAILABLE`, later ops too. */
  close: () => void
  /**
   * Like `execute`, but an op that completes at once (an uncontended acquire,
   * a release, a read, a compare-and-set) returns its result itself, so a
   * server can answer within the same turn.
   */
  executeNow: (op: CoordinationOp, ctx: OpContext) => CoordinationResult | Promise<CoordinationResult>
}

const requestKey = (caller: string, requestId: string): string => `${caller}\u0000${requestId}`

/** What is remembered of a settled request. */
interface RememberedResult {
  op: OpName
  result: CoordinationResult
}

class LocalAuthorityImpl implements LocalAuthority {
  private readonly scope: AuthorityScope
  private readonly inflight = new Map<string, AuthorityRequest>()
  private readonly byTicket = new Map<string, AuthorityRequest>()
  /** Answers of settled requests by key, for retries (just the op's name and result: nothing else is kept alive). */
  private readonly remembered: ExpiringMap<string, RememberedResult>
  private readonly listeners: ListenerRegistry
  private readonly locks: LockTable
  private readonly states: StateTable
  private readonly barriers: BarrierTable
  private closed = false
  private tickets = 0
  private actors = 0

  constructor (init: LocalAuthorityInit) {
    const clock = init.clock ?? { now: () => Date.now() }
    this.listeners = new ListenerRegistry(init.logger)
    const now = (): number => clock.now()
    this.remembered = new ExpiringMap({ ttlMs: init.resultTtlMs ?? 120_000, maxEntries: init.maxRememberedResults ?? 100_000, now })
    this.scope = {
      host: init.host,
      logger: init.logger,
      metrics: createCoordinationMetrics(init.registry),
      now,
      settle: (ticket, result) => this.settle(ticket, result),
      notify: (caller, notification) => { this.listeners.notify(caller, notification) },
      actorId: (kind, name) => `coordination/${kind}/${++this.actors}/${name}`
    }
    const keepIdle = init.keepIdleActors ?? 256
    this.locks = new LockTable(this.scope, { ttlMs: init.resultTtlMs ?? 120_000, maxEntries: init.maxRememberedResults ?? 100_000 }, keepIdle)
    this.states = new StateTable(this.scope)
    this.barriers = new BarrierTable(this.scope, keepIdle)
  }

  // Not async: the answer is the request's own promise, with no extra hop.
  execute<O extends CoordinationOp>(rawOp: O, ctx: OpContext): Promise<CoordinationResult<ResultOf<O>>> {
    const out = this.executeNow(rawOp, ctx)
    return (out instanceof Promise ? out : Promise.resolve(out)) as Promise<CoordinationResult<ResultOf<O>>>
  }

  executeNow (rawOp: CoordinationOp, ctx: OpContext): CoordinationResult | Promise<CoordinationResult> {
    const outcome = this.run(rawOp, ctx)
    if (!('ticket' in outcome)) return outcome
    return outcome.settled && outcome.result !== undefined ? outcome.result : outcome.promise
  }

  subscribe (caller: string, listener: NotificationListener): () => void {
    return this.listeners.subscribe(caller, listener)
  }

  releaseHolder (holder: string): void {
    this.locks.releaseHolder(holder)
    this.barriers.releaseHolder(holder)
    this.states.releaseHolder(holder)
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    for (const request of [...this.byTicket.values()]) {
      this.settle(request.ticket, fail('COORDINATOR_UNAVAILABLE', 'the coordination authority stopped'))
    }
    this.locks.close()
    this.barriers.close()
    this.states.close()
    this.listeners.clear()
    this.remembered.clear()
  }

  /** Run an op: its result when known at once, else the request that will settle. */
  private run (rawOp: CoordinationOp, ctx: OpContext): CoordinationResult | AuthorityRequest {
    if (this.closed) return fail('COORDINATOR_UNAVAILABLE', 'the coordination authority stopped')
    let op: CoordinationOp
    try {
      op = parseOp(rawOp)
    } catch (err) {
      return { ok: false, error: errorToWire(err) }
    }
    if (op.op === 'cancel') return this.cancel(ctx.caller, op.requestId)
    if (op.op === 'holder.release') return this.releaseOwnHolder(ctx.caller, op.holder)
    const key = requestKey(ctx.caller, ctx.requestId)
    const known = this.inflight.get(key)
    if (known !== undefined) {
      this.watchSignal(known, ctx.signal)
      return known
    }
    const done = this.remembered.get(key)
    if (done !== undefined) return done.result
    const request = this.createRequest(key, ctx.caller, op)
    this.inflight.set(key, request)
    this.byTicket.set(request.ticket, request)
    this.watchSignal(request, ctx.signal)
    if (!request.settled) this.dispatch(request)
    return request
  }

  private createRequest (key: string, caller: string, op: CoordinationOp): AuthorityRequest {
    let resolve: ((result: CoordinationResult) => void) | undefined
    const promise = new Promise<CoordinationResult>(r => { resolve = r })
    return { key, ticket: `t${++this.tickets}`, caller, op, startedAt: this.scope.now(), settled: false, cleanup: [], promise, resolve: resolve as (result: CoordinationResult) => void }
  }

  private dispatch (request: AuthorityRequest): void {
    try {
      switch (request.op.op) {
        case 'lock.acquire':
        case 'lock.release':
        case 'lock.renew':
          this.locks.handle(request)
          break
        case 'state.get':
        case 'state.set':
        case 'state.cas':
        case 'state.watch':
        case 'state.unwatch':
          this.states.handle(request)
          break
        case 'barrier.wait':
          this.barriers.handle(request)
          break
        case 'cancel':
        case 'holder.release':
          break
      }
    } catch (err) {
      this.scope.logger.error({ err, op: request.op.op }, 'coordination op failed')
      this.settle(request.ticket, { ok: false, error: errorToWire(err) })
    }
  }

  private settle (ticket: string, result: CoordinationResult): AuthorityRequest | undefined {
    const request = this.byTicket.get(ticket)
    if (request === undefined || request.settled) return undefined
    request.settled = true
    request.result = result
    this.byTicket.delete(ticket)
    this.inflight.delete(request.key)
    this.remembered.set(request.key, { op: request.op.op, result })
    for (const undo of request.cleanup) undo()
    request.cleanup.length = 0
    request.resolve(result)
    return request
  }

  /** An aborted signal withdraws the request (if it still waits). */
  private watchSignal (request: AuthorityRequest, signal: AbortSignal | undefined): void {
    if (signal === undefined || request.settled) return
    const onAbort = (): void => { this.withdraw(request) }
    if (signal.aborted) {
      onAbort()
      return
    }
    signal.addEventListener('abort', onAbort, { once: true })
    request.cleanup.push(() => { signal.removeEventListener('abort', onAbort) })
  }

  private withdraw (request: AuthorityRequest): void {
    if (request.settled) return
    if (request.withdraw !== undefined) request.withdraw()
    this.settle(request.ticket, fail('ABORTED', 'the request was cancelled'))
  }

  /** The `cancel` op: withdraw a waiting request, undo a grant the caller never saw, or block a request not seen yet. */
  private cancel (caller: string, requestId: string): CoordinationResult {
    const key = requestKey(caller, requestId)
    const pending = this.inflight.get(key)
    if (pending !== undefined) {
      this.withdraw(pending)
      return ok({ cancelled: true })
    }
    const done = this.remembered.get(key)
    const aborted: RememberedResult = { op: 'cancel', result: fail('ABORTED', 'the request was cancelled') }
    if (done === undefined) {
      this.remembered.set(key, aborted)
      return ok({ cancelled: true })
    }
    const undone = done.op === 'lock.acquire' && done.result.ok && this.locks.revoke(done.result.value as { token: string })
    if (undone) this.remembered.set(key, aborted)
    return ok({ cancelled: undone })
  }

  /** The `holder.release` op: a node may release itself and its own agents only. */
  private releaseOwnHolder (caller: string, holder: string): CoordinationResult {
    if (nodeOf(holder) !== nodeOf(caller)) return fail('INVALID_ARGUMENT', 'a node may only release its own agents', { holder })
    this.releaseHolder(holder)
    return ok({ released: true })
  }

}

/**
 * Start the built-in authority.
 *
 * @example
 * ```ts
 * const authority = createLocalAuthority({ host, registry: node.metrics, logger })
 * ```
 */
export function createLocalAuthority (init: LocalAuthorityInit): LocalAuthority {
  return new LocalAuthorityImpl(init)
}
