/**
 * The seam between `node.coordination` and whatever holds the locks, state
 * and barriers. The built-in backend is the {@link createLocalAuthority}
 * authority (in process), reached from other nodes through
 * {@link createRemoteBackend}; a replicated store (etcd, ...) can implement
 * the same interface later.
 *
 * @example
 * ```ts
 * const result = await backend.execute(
 *   { op: 'lock.acquire', resource: 'db', type: 'exclusive', ttl: 5000, wait: false },
 *   { caller: agent.id, requestId: newRequestId() }
 * )
 * if (!result.ok) throw errorFromWire(result.error)
 * const off = backend.subscribe(agent.id, n => { if (n.type === 'lockLost') stopWriting() })
 * ```
 */
import type { CoordinationNotification, CoordinationOp, CoordinationResult, ResultOf } from './protocol.ts'

/** Who asks, and under which idempotency key. */
export interface OpContext {
  /** The holder address the op acts for: an agent id or a node address. */
  caller: string
  /** Idempotency key: the same (caller, requestId) gets the same result, and never a second grant. */
  requestId: string
  /** Gives up the op; a waiting op is withdrawn at the authority and resolves with `ABORTED`. */
  signal?: AbortSignal
}

export type NotificationListener = (notification: CoordinationNotification) => void

export interface CoordinationBackend {
  /**
   * Run one op. Failures of the op itself (conflict, lost lock, ...) resolve as
   * `{ ok: false, error }`; the promise rejects only when the authority cannot
   * be reached (`COORDINATOR_UNAVAILABLE`, `TIMEOUT`, `ABORTED`).
   */
  execute: <O extends CoordinationOp>(op: O, ctx: OpContext) => Promise<CoordinationResult<ResultOf<O>>>
  /**
   * Optional: run one op and resolve with its value, or reject with its typed
   * error (the op's own failure included): `execute` plus `valueOf` in one
   * promise, for backends that can settle it directly.
   */
  executeValue?: <O extends CoordinationOp>(op: O, ctx: OpContext) => Promise<ResultOf<O>>
  /** Receive the notifications addressed to `caller` (lost leases, watched state). Returns an unsubscribe function. */
  subscribe: (caller: string, listener: NotificationListener) => () => void
}
