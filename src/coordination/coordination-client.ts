/**
 * `node.coordination` (and each agent's): the user-facing calls, turned into
 * plain ops for a {@link CoordinationBackend}. Each call gets a fresh request
 * id (the idempotency key for retries below it); failures come back as typed
 * errors rebuilt from their wire form.
 *
 * @example
 * ```ts
 * const coordination = createCoordinationClient({ backend: authority, holder: agent.id })
 * const lock = await coordination.acquireLock('db', { ttl: 5000, onLost: () => controller.abort() })
 * await coordination.releaseLock(lock.token)
 * ```
 */
import { MessageIdGenerator } from '../messaging/message-ids.ts'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { AbortedError, TimeoutError, ZeroStateError, errorFromWire, isZeroStateError } from '../errors.ts'
import type { CoordinationBackend } from './coordination-backend.ts'
import { ExpiringMap } from '../util/expiring-map.ts'
import { valueOf, type CoordinationNotification, type CoordinationOp, type CoordinationResult, type ResultOf } from './protocol.ts'
import type {
  AcquireLockOptions, BarrierOptions, BarrierRelease, Coordination, LockGrant, LockLostEvent,
  SharedState, SignalOptions, StateWatch, UpdateStateOptions, WatchOptions
} from './types.ts'

export interface CoordinationClientInit {
  backend: CoordinationBackend
  /** The address this client acts for: an agent id or the node address. */
  holder: string
  logger?: Logger
  /** Jitter source for `updateState` backoff. Default Math.random. */
  random?: () => number
  /** Request id source (idempotency keys). Default 32 random hex characters. */
  newRequestId?: () => string
}

interface Watch {
  callbacks: Set<(state: SharedState) => void>
  /** The last version delivered; undefined until the authority confirmed the watch. */
  lastVersion: number | undefined
  /** Pushes not yet delivered (arrived early or out of order), by version. */
  pending: Map<number, SharedState>
  ready: Promise<void>
}

/** Pushes held back waiting for a missing version before giving up on it. */
const MAX_PENDING_VERSIONS = 1000

/** A fresh request id: 16 random bytes as 32 lowercase hex characters (also valid as a bus message id). */
export function newRequestId (): string {
  return randomBytes(16).toString('hex')
}

type WatchOpResult =
  | { op: 'state.watch', value: ResultOf<{ op: 'state.watch', key: string }> }
  | { op: 'state.unwatch', value: ResultOf<{ op: 'state.unwatch', key: string }> }

class CoordinationClient implements Coordination {
  readonly holder: string
  private readonly backend: CoordinationBackend
  private readonly logger: Logger | undefined
  private readonly random: () => number
  private readonly newId: () => string
  private readonly onLost = new Map<string, (event: LockLostEvent) => void>()
  private readonly lostTokens = new ExpiringMap<string, LockLostEvent>({ ttlMs: 60_000, maxEntries: 1000, now: () => Date.now() })
  private readonly lostListeners = new Set<(event: LockLostEvent) => void>()
  private readonly watches = new Map<string, Watch>()
  /** Watch registrations per key run one after another, so watch/unwatch never overtake each other. */
  private readonly watchQueue = new Map<string, Promise<unknown>>()
  private readonly unsubscribe: () => void

  constructor (init: CoordinationClientInit) {
    this.backend = init.backend
    this.holder = init.holder
    this.logger = init.logger
    this.random = init.random ?? Math.random
    if (init.newRequestId !== undefined) {
      this.newId = init.newRequestId
    } else {
      // Random prefix + counter: unique like newRequestId, without a random draw per call.
      const ids = new MessageIdGenerator()
      this.newId = () => ids.next()
    }
    this.unsubscribe = this.backend.subscribe(this.holder, n => { this.onNotification(n) })
  }

  acquireLock (resource: string, options: AcquireLockOptions): Promise<LockGrant> {
    const op = { op: 'lock.acquire', resource, type: options.type ?? 'exclusive', ttl: options.ttl, wait: options.wait ?? true } as const
    const granted = this.run(op, options.signal, options.timeout)
    const onLost = options.onLost
    if (onLost === undefined) return granted
    return granted.then(grant => {
      const early = this.lostTokens.get(grant.token)
      if (early === undefined) this.onLost.set(grant.token, onLost)
      else this.callSafely(onLost, early)
      return grant
    })
  }

  async releaseLock (token: string, options: SignalOptions = {}): Promise<void> {
    try {
      await this.run({ op: 'lock.release', token }, options.signal)
    } finally {
      this.onLost.delete(token)
    }
  }

  async renewLock (token: string, ttl: number, options: SignalOptions = {}): Promise<LockGrant> {
    return await this.run({ op: 'lock.renew', token, ttl }, options.signal)
  }

  getState<T = unknown>(key: string, options: SignalOptions = {}): Promise<SharedState<T> | undefined> {
    return this.run({ op: 'state.get', key }, options.signal).then(state => state === null ? undefined : state as SharedState<T>)
  }

  async setState<T = unknown>(key: string, value: T, expectedVersion = 0, options: SignalOptions = {}): Promise<SharedState<T>> {
    return await this.run({ op: 'state.set', key, value, expectedVersion }, options.signal) as SharedState<T>
  }

  async updateState<T = Record<string, unknown>>(key: string, field: string, value: unknown, options: UpdateStateOptions = {}): Promise<SharedState<T>> {
    const maxRetries = options.maxRetries ?? 50
    const backoffMs = options.backoffMs ?? 2
    const maxBackoffMs = options.maxBackoffMs ?? 100
    let current = await this.getState(key, options)
    for (let attempt = 0; ; attempt++) {
      const base = current?.value ?? {}
      if (typeof base !== 'object' || base === null || Array.isArray(base)) {
        throw new ZeroStateError('INVALID_ARGUMENT', `state "${key}" does not hold an object, so field "${field}" cannot be updated`)
      }
      const previous = (base as Record<string, unknown>)[field]
      const next = { ...base, [field]: typeof value === 'function' ? (value as (current: unknown) => unknown)(previous) : value }
      const outcome = await this.run({ op: 'state.cas', key, value: next, expectedVersion: current?.version ?? 0 }, options.signal)
      if (outcome.committed && outcome.state !== null) return outcome.state as SharedState<T>
      current = outcome.state ?? undefined
      if (attempt >= maxRetries) {
        throw new ZeroStateError('STATE_RETRIES_EXHAUSTED', `state "${key}" kept changing: gave up after ${attempt + 1} attempts`, { details: { key, attempts: attempt + 1, currentVersion: current?.version ?? 0 } })
      }
      await this.backoff(Math.min(maxBackoffMs, backoffMs * 2 ** attempt), options.signal)
    }
  }

  watchState<T = unknown>(key: string, callback: (state: SharedState<T>) => void, options: WatchOptions = {}): StateWatch {
    const cb = callback as (state: SharedState) => void
    let watch = this.watches.get(key)
    if (watch === undefined) {
      const created: Watch = { callbacks: new Set(), lastVersion: undefined, pending: new Map(), ready: Promise.resolve() }
      created.ready = this.queueWatchOp(key, { op: 'state.watch', key }).then(result => {
        if (result.op !== 'state.watch' || created.lastVersion !== undefined) return
        created.lastVersion = result.value.version
        this.drain(created)
      })
      watch = created
      this.watches.set(key, watch)
    }
    watch.callbacks.add(cb)
    watch.ready.catch((err: Error) => {
      if (this.watches.get(key) === watch) this.watches.delete(key)
      if (options.onError !== undefined) options.onError(err)
      else this.logger?.warn({ err, key }, 'watchState registration failed')
    })
    const active = watch
    const stop = (): void => {
      active.callbacks.delete(cb)
      if (active.callbacks.size > 0 || this.watches.get(key) !== active) return
      this.watches.delete(key)
      this.queueWatchOp(key, { op: 'state.unwatch', key }).catch((err: unknown) => { this.logger?.debug({ err, key }, 'state.unwatch failed') })
    }
    return Object.assign(stop, { ready: watch.ready })
  }

  async waitAtBarrier (name: string, parties: number, options: BarrierOptions = {}): Promise<BarrierRelease> {
    const op: CoordinationOp = { op: 'barrier.wait', name, parties }
    if (options.timeout !== undefined) op.timeout = options.timeout
    return await this.run(op, options.signal)
  }

  on (event: 'lockLost', listener: (event: LockLostEvent) => void): () => void {
    if (event !== 'lockLost') throw new ZeroStateError('INVALID_ARGUMENT', `unknown coordination event ${String(event)}`)
    this.lostListeners.add(listener)
    return () => { this.lostListeners.delete(listener) }
  }

  close (): void {
    this.unsubscribe()
    for (const key of [...this.watches.keys()]) {
      this.queueWatchOp(key, { op: 'state.unwatch', key }).catch(() => {})
    }
    this.watches.clear()
    this.onLost.clear()
    this.lostListeners.clear()
  }

  /** Run one op; `timeout` (client side) turns into `TIMEOUT`, the caller's signal into `ABORTED`. */
  private run<O extends CoordinationOp>(op: O, signal?: AbortSignal, timeout?: number): Promise<ResultOf<O>> {
    if (timeout !== undefined) return this.runWithTimeout(op, signal, timeout)
    // The common case, without a timer signal to combine: one reaction on the backend's promise.
    if (signal?.aborted === true) return Promise.reject(new AbortedError())
    try {
      const ctx = signal === undefined ? { caller: this.holder, requestId: this.newId() } : { caller: this.holder, requestId: this.newId(), signal }
      const { backend } = this
      if (backend.executeValue !== undefined) return backend.executeValue(op, ctx)
      return backend.execute(op, ctx).then(result => valueOf(result as CoordinationResult<ResultOf<O>>))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private async runWithTimeout<O extends CoordinationOp>(op: O, signal: AbortSignal | undefined, timeout: number): Promise<ResultOf<O>> {
    const timer = AbortSignal.timeout(timeout)
    const combined = signal === undefined ? timer : AbortSignal.any([signal, timer])
    const timedOut = (): boolean => timer.aborted && signal?.aborted !== true
    if (combined.aborted) throw timedOut() ? new TimeoutError('timed out waiting for the lock') : new AbortedError()
    let result
    try {
      result = await this.backend.execute(op, { caller: this.holder, requestId: this.newId(), signal: combined })
    } catch (err) {
      if (isZeroStateError(err, 'ABORTED') && timedOut()) throw new TimeoutError(`timed out after ${String(timeout)} ms`, { cause: err })
      throw err
    }
    if (result.ok) return result.value
    const error = errorFromWire(result.error)
    if (error.code === 'ABORTED' && timedOut()) throw new TimeoutError(`timed out after ${String(timeout)} ms`, { cause: error })
    throw error
  }

  private async queueWatchOp (key: string, op: { op: 'state.watch' | 'state.unwatch', key: string }): Promise<WatchOpResult> {
    const previous = this.watchQueue.get(key) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(async (): Promise<WatchOpResult> => op.op === 'state.watch'
      ? { op: 'state.watch', value: await this.run({ op: 'state.watch', key }) }
      : { op: 'state.unwatch', value: await this.run({ op: 'state.unwatch', key }) })
    this.watchQueue.set(key, next)
    try {
      return await next
    } finally {
      if (this.watchQueue.get(key) === next) this.watchQueue.delete(key)
    }
  }

  /** Deliver held pushes in version order, without gaps (a gap is skipped only past MAX_PENDING_VERSIONS). */
  private drain (watch: Watch): void {
    if (watch.lastVersion === undefined) return
    for (const version of [...watch.pending.keys()]) if (version <= watch.lastVersion) watch.pending.delete(version)
    if (watch.pending.size > MAX_PENDING_VERSIONS) {
      const oldest = Math.min(...watch.pending.keys())
      this.logger?.warn({ from: watch.lastVersion + 1, to: oldest - 1 }, 'watchState skipped versions whose pushes never arrived')
      watch.lastVersion = oldest - 1
    }
    let next = watch.pending.get(watch.lastVersion + 1)
    while (next !== undefined) {
      watch.pending.delete(next.version)
      watch.lastVersion = next.version
      for (const callback of [...watch.callbacks]) this.callSafely(callback, next)
      next = watch.pending.get(watch.lastVersion + 1)
    }
  }

  private async backoff (capMs: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(Math.floor(this.random() * capMs), undefined, signal === undefined ? {} : { signal })
    } catch (err) {
      throw new AbortedError('aborted while backing off', { cause: err })
    }
  }

  private onNotification (notification: CoordinationNotification): void {
    if (notification.type === 'state') {
      const { state } = notification
      const watch = this.watches.get(state.key)
      if (watch === undefined) return
      watch.pending.set(state.version, state)
      this.drain(watch)
      return
    }
    const event: LockLostEvent = { resource: notification.resource, token: notification.token, fencingToken: notification.fencingToken, reason: notification.reason }
    this.lostTokens.set(event.token, event)
    const onLost = this.onLost.get(event.token)
    this.onLost.delete(event.token)
    if (onLost !== undefined) this.callSafely(onLost, event)
    for (const listener of [...this.lostListeners]) this.callSafely(listener, event)
  }

  private callSafely<T>(fn: (arg: T) => void, arg: T): void {
    try {
      fn(arg)
    } catch (err) {
      this.logger?.warn({ err }, 'coordination callback threw')
    }
  }
}

/**
 * Release everything a stopped agent (or this node) holds at the authority:
 * leases, queued requests, barrier waits, watches. The node calls it when one
 * of its agents stops; `nodeAddress` is the calling node, `holder` the agent id.
 *
 * @example
 * ```ts
 * await releaseHolder(backend, node.address, agent.id)
 * ```
 */
export async function releaseHolder (backend: CoordinationBackend, nodeAddress: string, holder: string, options: SignalOptions = {}): Promise<void> {
  const result = await backend.execute({ op: 'holder.release', holder }, { caller: nodeAddress, requestId: newRequestId(), ...(options.signal === undefined ? {} : { signal: options.signal }) })
  if (!result.ok) throw errorFromWire(result.error)
}

/**
 * Create the coordination API for one holder.
 *
 * @example
 * ```ts
 * const coordination = createCoordinationClient({ backend, holder: node.address, logger })
 * const state = await coordination.setState('config', { mode: 'fast' })
 * ```
 */
export function createCoordinationClient (init: CoordinationClientInit): Coordination {
  return new CoordinationClient(init)
}
