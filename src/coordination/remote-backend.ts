/**
 * A {@link CoordinationBackend} that reaches the coordinator's authority
 * through a small transport (the node's COORDINATION service call and push
 * channel). Waiting ops get a long deadline; a caller that gives up (abort,
 * timeout, lost connection) sends a `cancel` op so the authority withdraws the
 * waiter, or releases a grant whose answer never arrived.
 *
 * @example
 * ```ts
 * const backend = createRemoteBackend({
 *   transport: {
 *     call: (payload, { signal, timeout, requestId }) => node.callService(coordinatorDid, 'coordination', payload, { signal, timeout, id: requestId }),
 *     onNotify: cb => node.onNotify('coordination', cb)
 *   }
 * })
 * const coordination = createCoordinationClient({ backend, holder: node.address })
 * ```
 */
import type { Logger } from 'pino'
import { AbortedError, ZeroStateError, errorToWire, isZeroStateError } from '../errors.ts'
import type { CoordinationBackend, NotificationListener, OpContext } from './coordination-backend.ts'
import { newRequestId } from './coordination-client.ts'
import { ListenerRegistry } from './listener-registry.ts'
import {
  MAX_DURATION_MS, PROTOCOL_VERSION, expandResult, isWaitingOp, parsePush, parseResult, valueOf,
  type CoordinationOp, type CoordinationRequest, type CoordinationResult, type ResultOf
} from './protocol.ts'

/** What the node provides to talk to the coordinator. */
export interface CoordinationTransport {
  /** Send a request payload to the coordinator's `coordination` service and resolve with its answer payload. `requestId` is a 32-hex idempotency key (usable as the bus message id). */
  call: (payload: unknown, options: { signal?: AbortSignal, timeout?: number, requestId: string }) => Promise<unknown>
  /**
   * Optional: like `call`, with `map` applied to the answer and `mapError` to
   * a failure as they arrive, so an op costs one promise instead of a chain of
   * reactions (the router's pending table can do this).
   */
  callMapped?: (payload: unknown, options: { timeout?: number, requestId: string }, map: (answer: unknown) => unknown, mapError: (error: Error) => Error) => Promise<unknown>
  /** Receive the coordinator's pushes to this node. Returns an unsubscribe function. */
  onNotify: (callback: (payload: unknown) => void) => () => void
}

export interface RemoteBackendInit {
  transport: CoordinationTransport
  /** Deadline of ops that do not wait (milliseconds). Default 10 000. */
  timeout?: number
  /** Added to a barrier's own timeout for the call's deadline. Default 5 000. */
  waitSlackMs?: number
  logger?: Logger
}

export interface RemoteBackend extends CoordinationBackend {
  /** Stop listening for pushes. */
  close: () => void
}

class RemoteBackendImpl implements RemoteBackend {
  private readonly transport: CoordinationTransport
  private readonly timeout: number
  private readonly waitSlackMs: number
  private readonly logger: Logger | undefined
  private readonly listeners: ListenerRegistry
  private readonly off: () => void
  /** Cancels on their way to the coordinator, by caller: a waiting op of that caller is sent after them. */
  private readonly cancels = new Map<string, Set<Promise<void>>>()

  constructor (init: RemoteBackendInit) {
    this.transport = init.transport
    this.timeout = init.timeout ?? 10_000
    this.waitSlackMs = init.waitSlackMs ?? 5_000
    this.logger = init.logger
    this.listeners = new ListenerRegistry(init.logger)
    this.off = this.transport.onNotify(payload => { this.onPush(payload) })
  }

  // Not async: an op that has no cancel to wait for is one transport call and one reaction.
  execute<O extends CoordinationOp>(op: O, ctx: OpContext): Promise<CoordinationResult<ResultOf<O>>> {
    // A waiter this caller gave up on (e.g. while cut off from the coordinator) may
    // still be registered there: its cancel must arrive first, or a new arrival at
    // the same barrier would be counted together with the stale one.
    if (isWaitingOp(op) && this.cancels.has(ctx.caller)) return this.cancelsSent(ctx.caller, ctx.signal).then(() => this.send(op, ctx))
    return this.send(op, ctx)
  }

  executeValue<O extends CoordinationOp>(op: O, ctx: OpContext): Promise<ResultOf<O>> {
    const { transport } = this
    // The common case (no signal, no cancel to wait for) in one promise; the rest through execute.
    if (transport.callMapped === undefined || ctx.signal !== undefined || (isWaitingOp(op) && this.cancels.has(ctx.caller))) {
      return this.execute(op, ctx).then(result => valueOf(result))
    }
    const request: CoordinationRequest = { v: PROTOCOL_VERSION, caller: ctx.caller, requestId: ctx.requestId, op }
    try {
      return transport.callMapped(request, { requestId: ctx.requestId, timeout: this.deadline(op) },
        answer => valueOf(this.toResult(op, ctx, answer)),
        err => this.callFailed(op, ctx, err)) as Promise<ResultOf<O>>
    } catch (err) {
      return Promise.reject(this.callFailed(op, ctx, err))
    }
  }

  private send<O extends CoordinationOp>(op: O, ctx: OpContext): Promise<CoordinationResult<ResultOf<O>>> {
    const { signal } = ctx
    if (signal?.aborted === true) return Promise.reject(this.callFailed(op, ctx, new AbortedError()))
    const request: CoordinationRequest = { v: PROTOCOL_VERSION, caller: ctx.caller, requestId: ctx.requestId, op }
    let sent: Promise<unknown>
    try {
      sent = this.transport.call(request, signal === undefined ? { requestId: ctx.requestId, timeout: this.deadline(op) } : { requestId: ctx.requestId, timeout: this.deadline(op), signal })
    } catch (err) {
      return Promise.reject(this.callFailed(op, ctx, err))
    }
    if (signal !== undefined) sent = withAbort(sent, signal)
    return sent.then(
      response => this.toResult(op, ctx, response) as CoordinationResult<ResultOf<O>>,
      (err: unknown) => { throw this.callFailed(op, ctx, err) }
    )
  }

  /** The error a failed call rejects with; a waiting op is withdrawn at the authority. */
  private callFailed (op: CoordinationOp, ctx: OpContext, err: unknown): Error {
    if (op.op === 'lock.acquire' || op.op === 'barrier.wait') this.sendCancel(ctx.caller, ctx.requestId)
    if (ctx.signal?.aborted === true) return isZeroStateError(err, 'ABORTED') ? err : new AbortedError('aborted', { cause: err })
    if (isZeroStateError(err)) return err
    return new ZeroStateError('COORDINATOR_UNAVAILABLE', 'the coordinator could not be reached', { cause: err })
  }

  private toResult (op: CoordinationOp, ctx: OpContext, response: unknown): CoordinationResult {
    try {
      return expandResult(op, ctx.caller, parseResult(response))
    } catch (err) {
      this.logger?.warn({ err }, 'malformed coordination result')
      return { ok: false, error: { ...errorToWire(err), code: 'INTERNAL' } }
    }
  }

  subscribe (caller: string, listener: NotificationListener): () => void {
    return this.listeners.subscribe(caller, listener)
  }

  close (): void {
    this.off()
    this.listeners.clear()
  }

  private deadline (op: CoordinationOp): number {
    if (!isWaitingOp(op)) return this.timeout
    if (op.op === 'barrier.wait' && op.timeout !== undefined) return Math.min(MAX_DURATION_MS, op.timeout + this.waitSlackMs)
    return MAX_DURATION_MS
  }

  private sendCancel (caller: string, requestId: string): void {
    const id = newRequestId()
    const cancel: CoordinationRequest = { v: PROTOCOL_VERSION, caller, requestId: id, op: { op: 'cancel', requestId } }
    const sent = this.transport.call(cancel, { requestId: id, timeout: this.timeout }).then(() => {}, (err: unknown) => {
      this.logger?.debug({ err, requestId }, 'coordination cancel not delivered')
    })
    let pending = this.cancels.get(caller)
    if (pending === undefined) {
      pending = new Set()
      this.cancels.set(caller, pending)
    }
    pending.add(sent)
    const set = pending
    void sent.then(() => {
      set.delete(sent)
      if (set.size === 0 && this.cancels.get(caller) === set) this.cancels.delete(caller)
    })
  }

  /** Wait until this caller's cancels under way are answered (or failed). */
  private async cancelsSent (caller: string, signal: AbortSignal | undefined): Promise<void> {
    const pending = this.cancels.get(caller)
    if (pending === undefined) return
    await withAbort(Promise.all([...pending]), signal)
  }

  private onPush (payload: unknown): void {
    let push
    try {
      push = parsePush(payload)
    } catch (err) {
      this.logger?.debug({ err }, 'malformed coordination push dropped')
      return
    }
    this.listeners.notify(push.caller, push.notification)
  }
}

/** Reject as soon as `signal` aborts, even if the transport keeps waiting. */
async function withAbort<T> (promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await promise
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(new AbortedError()) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Create the backend a non-coordinator node uses.
 *
 * @example
 * ```ts
 * const backend = createRemoteBackend({ transport, timeout: 5000, logger })
 * ```
 */
export function createRemoteBackend (init: RemoteBackendInit): RemoteBackend {
  return new RemoteBackendImpl(init)
}
