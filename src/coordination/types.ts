/**
 * The public types of `node.coordination`: lock grants, shared state,
 * barrier releases and the options of each call.
 */
import type { LockType } from '../../machines/lock.ts'
import type { LockLossReason } from '../../machines/lock.ts'

export type { LockType, LockLossReason }

/** A granted lock lease. */
export interface LockGrant {
  resource: string
  type: LockType
  /** Opaque secret naming this lease: pass it to `releaseLock` / `renewLock`. */
  token: string
  /** Strictly greater than every earlier grant's for this resource: hand it to the protected resource. */
  fencingToken: number
  /** The holder's address (agent id or node address). */
  holder: string
  /** Epoch milliseconds (the authority's clock) when the lease runs out unless renewed. */
  expiresAt: number
}

/** A committed shared-state value. */
export interface SharedState<T = unknown> {
  key: string
  value: T
  /** 1 for the first write; strictly increasing per key. */
  version: number
  /** Address of the writer. */
  updatedBy: string
  /** Epoch milliseconds (the authority's clock) of the write. */
  updatedAt: number
}

/** What `waitAtBarrier` resolves with once every party arrived. */
export interface BarrierRelease {
  name: string
  /** The generation that was released (0 for the first; the barrier is reusable). */
  generation: number
  parties: number
}

/** Told to the holder when a lease ends without `releaseLock`. */
export interface LockLostEvent {
  resource: string
  token: string
  fencingToken: number
  reason: LockLossReason
}

export interface AcquireLockOptions {
  /** Default `exclusive`. */
  type?: LockType
  /** Lease duration in milliseconds (1 .. 2^31-1). */
  ttl: number
  /** Queue until granted (default true); false fails at once with `LOCK_CONFLICT`. */
  wait?: boolean
  /** Milliseconds to wait in the queue before failing with `TIMEOUT`. */
  timeout?: number
  signal?: AbortSignal
  /** Called when this lease is lost (expired or its holder released by the authority). */
  onLost?: (event: LockLostEvent) => void
}

export interface SignalOptions {
  signal?: AbortSignal
}

export interface UpdateStateOptions extends SignalOptions {
  /** Conflicts retried before failing with `STATE_RETRIES_EXHAUSTED`. Default 50. */
  maxRetries?: number
  /** First backoff in milliseconds (doubles, full jitter). Default 2. */
  backoffMs?: number
  /** Upper bound of one backoff. Default 100. */
  maxBackoffMs?: number
}

export interface BarrierOptions extends SignalOptions {
  /** Milliseconds this party waits before failing with `BARRIER_TIMEOUT` (and breaking the barrier). */
  timeout?: number
}

export interface WatchOptions {
  /** Called when registering the watch fails (the watch is then inactive). */
  onError?: (err: Error) => void
}

/** What `watchState` returns: call it to stop watching; `ready` resolves once the watch is registered. */
export type StateWatch = (() => void) & { ready: Promise<void> }

/**
 * `node.coordination`: locks with fencing tokens, versioned shared state and
 * cyclic barriers, all held by the coordinator's authority.
 *
 * @example
 * ```ts
 * const lock = await node.coordination.acquireLock('build-cache', { ttl: 10_000 })
 * try { await cache.write(data, { fencingToken: lock.fencingToken }) }
 * finally { await node.coordination.releaseLock(lock.token) }
 *
 * await node.coordination.updateState('stats', 'runs', (n = 0) => (n as number) + 1)
 * await node.coordination.waitAtBarrier('compile', 3, { timeout: 30_000 })
 * ```
 */
export interface Coordination {
  /** The address locks and writes are held by (agent id or node address). */
  readonly holder: string
  acquireLock: (resource: string, options: AcquireLockOptions) => Promise<LockGrant>
  /** Rejects with `LOCK_LOST` when the lease was already lost, `LOCK_NOT_HELD` when the token is unknown. */
  releaseLock: (token: string, options?: SignalOptions) => Promise<void>
  /** Extend a lease to `ttl` from now; rejects with `LOCK_LOST` once the lease was lost. */
  renewLock: (token: string, ttl: number, options?: SignalOptions) => Promise<LockGrant>
  getState: <T = unknown>(key: string, options?: SignalOptions) => Promise<SharedState<T> | undefined>
  /** Compare-and-set: `expectedVersion` 0 or undefined means "must not exist yet"; else `STATE_CONFLICT`. */
  setState: <T = unknown>(key: string, value: T, expectedVersion?: number, options?: SignalOptions) => Promise<SharedState<T>>
  /** Set one field of an object value (a function computes it from the current field), retrying on conflict. */
  updateState: <T = Record<string, unknown>>(key: string, field: string, value: unknown, options?: UpdateStateOptions) => Promise<SharedState<T>>
  /** Call `callback` with every committed version of `key`, in order, from registration on. */
  watchState: <T = unknown>(key: string, callback: (state: SharedState<T>) => void, options?: WatchOptions) => StateWatch
  waitAtBarrier: (name: string, parties: number, options?: BarrierOptions) => Promise<BarrierRelease>
  /** Listen for lost leases of this holder. Returns an unsubscribe function. */
  on: (event: 'lockLost', listener: (event: LockLostEvent) => void) => () => void
  /** Stop listening for notifications and drop every watch. */
  close: () => void
}
