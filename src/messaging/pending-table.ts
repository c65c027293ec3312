/**
 * The sender side of delivery: messages waiting for an answer (a RESPONSE to
 * a request, an ACK to a reliable one-way send), their deadlines (one timer
 * wheel), caller aborts, retransmits with backoff for AT_LEAST_ONCE and
 * EXACTLY_ONCE, and what came of finished ones (so a late response is told
 * from a duplicate).
 */
import { AbortedError, errorFromWire, TimeoutError, ZeroStateError } from '../errors.ts'
import type { AgentMessage } from '../envelope-types.ts'
import type { Reply } from '../bus-types.ts'
import { DeadlineWheel } from './deadline-wheel.ts'
import { ExpiringMap } from '../util/expiring-map.ts'
import type { DropReason, MessagingMetrics } from './messaging-metrics.ts'
import { payloadToResult, type TaskResult } from './response-payload.ts'

export interface PendingTableInit {
  metrics: MessagingMetrics
  /** Hand a (re)transmission to its node; `onFailure` when it cannot be handed over (remote only: local delivery cannot fail). */
  route: (msg: AgentMessage, onFailure: ((error: Error) => void) | undefined) => void
  /** Called when the caller aborts, after the pending entry is failed. */
  onCallerAbort: (msg: AgentMessage) => void
  retransmitInitialMs: number
  retransmitMaxMs: number
}

interface Pending {
  msg: AgentMessage
  kind: 'request' | 'send'
  startedAt: number
  acked: boolean
  /** Settles the caller's promise: with the Reply, or with its payload alone (`payloadOnly`). */
  resolve: (value: unknown) => void
  payloadOnly: boolean
  /** Applied to the value before the promise settles (see {@link SettleShape}). */
  map: ((value: unknown) => unknown) | undefined
  mapError: ((error: Error) => Error) | undefined
  reject: (error: Error) => void
  /** Key under which the deadline wheel tracks this message. */
  deadlineKey: number
  /** Key of its next retransmission in the retransmit wheel; 0 when none is due. */
  retransmitKey: number
  backoffMs: number
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

/**
 * How a caller's promise settles: with the answer's payload alone instead of
 * the whole Reply, and through the caller's own mapping of the value or the
 * error, applied as the answer (or failure) arrives: no promise reactions
 * chained after the router's promise.
 */
export interface SettleShape {
  payloadOnly?: boolean
  /** The promise resolves with `map(value)`; a throw rejects it instead. */
  map?: (value: unknown) => unknown
  /** The promise rejects with `mapError(error)`. */
  mapError?: (error: Error) => Error
}

/** How long the outcome of a timed-out or aborted request is remembered. */
const FINISHED_MS = 60_000

export class PendingTable {
  private readonly pending = new Map<string, Pending>()
  private readonly deadlines = new DeadlineWheel<Pending>(p => { this.expire(p) })
  /** Retransmissions due, on one timer too (a timer per reliable message cost a libuv timer insert and removal each). */
  private readonly retransmits = new DeadlineWheel<Pending>(p => { this.retransmit(p) })
  private readonly finished = new ExpiringMap<string, 'timeout' | 'aborted'>({ maxEntries: 100_000, ttlMs: FINISHED_MS })

  constructor (private readonly init: PendingTableInit) {}

  has (id: string): boolean { return this.pending.has(id) }

  /**
   * Send `msg` and wait: for its RESPONSE (`request`) or ACK (`send`), until
   * `timeoutMs`. `remote`: the target is another node (hand-over can fail,
   * and reliable deliveries are retransmitted). Not async on purpose: one
   * promise per request on the hot path. `payloadOnly`: resolve with the
   * answer's payload instead of the whole Reply (no mapping promise after it).
   */
  track (msg: AgentMessage, kind: 'request' | 'send', timeoutMs: number, signal: AbortSignal | undefined, remote: boolean, shape: SettleShape = {}): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const p: Pending = {
        msg,
        kind,
        startedAt: performance.now(),
        acked: false,
        resolve,
        payloadOnly: shape.payloadOnly === true,
        map: shape.map,
        mapError: shape.mapError,
        reject,
        deadlineKey: 0,
        retransmitKey: 0,
        backoffMs: this.init.retransmitInitialMs,
        signal,
        onAbort: undefined
      }
      this.pending.set(msg.id, p)
      p.deadlineKey = this.deadlines.add(p, Date.now() + timeoutMs)
      if (signal !== undefined) {
        p.onAbort = () => {
          this.fail(p, new AbortedError('aborted by the caller', { cause: signal.reason }), 'aborted')
          this.init.onCallerAbort(msg)
        }
        signal.addEventListener('abort', p.onAbort, { once: true })
      }
      if (remote && msg.delivery !== 'BEST_EFFORT') this.scheduleRetransmit(p)
      this.init.route(msg, remote ? error => { this.fail(p, error, undefined) } : undefined)
    })
  }

  /** A RESPONSE arrived: settle its request, or say why it is dropped. */
  onResponse (msg: AgentMessage): DropReason | undefined {
    return this.answer(msg.correlationId, payloadToResult(msg.payload), msg.from)
  }

  /**
   * Settle request `id` with `result` from `agentId` (undefined result: the
   * answer was malformed), or say why the answer is dropped. The local fast
   * path calls this directly, without building a RESPONSE envelope.
   */
  answer (id: string, result: TaskResult | undefined, agentId: string): DropReason | undefined {
    const p = this.pending.get(id)
    if (p === undefined) return this.finished.get(id) === undefined ? 'duplicate' : 'late_response'
    this.init.metrics.received('RESPONSE')
    this.settle(p)
    const seconds = (performance.now() - p.startedAt) / 1000
    if (result === undefined) {
      this.init.metrics.requestDuration(seconds, 'error')
      this.refuse(p, new ZeroStateError('INVALID_ENVELOPE', 'malformed RESPONSE payload'))
    } else if (result.ok) {
      this.init.metrics.requestDuration(seconds, 'ok')
      this.fulfil(p, p.payloadOnly ? result.output : { payload: result.output, cost: result.cost, agentId })
    } else {
      this.init.metrics.requestDuration(seconds, 'error')
      this.refuse(p, errorFromWire(result.error))
    }
    return undefined
  }

  /** An ACK arrived: a reliable send is done; a request stops (or slows) its retransmits. */
  onAck (msg: AgentMessage): void {
    const p = this.pending.get(msg.correlationId)
    if (p === undefined) return
    this.init.metrics.received('ACK')
    if (p.kind === 'send') {
      this.settle(p)
      this.fulfil(p, p.payloadOnly ? undefined : { payload: undefined, cost: 0, agentId: msg.from })
      return
    }
    if (p.acked) return
    p.acked = true
    // AT_LEAST_ONCE requests stop retransmitting once delivered; EXACTLY_ONCE
    // keeps a slow retransmit so a lost RESPONSE is recovered from the cache.
    if (p.msg.delivery === 'AT_LEAST_ONCE') this.cancelRetransmit(p)
  }

  /**
   * Fail the outstanding message `id` with `error`, as when its caller gives
   * up: a late answer is then dropped as `late_response`. False when nothing
   * with that id waits.
   */
  failById (id: string, error: Error): boolean {
    const p = this.pending.get(id)
    if (p === undefined) return false
    this.fail(p, error, 'aborted')
    return true
  }

  /** Forget outcomes past their time. */
  sweep (): void { this.finished.sweep() }

  /** Reject everything with `error` and stop every timer. */
  rejectAll (error: () => Error): void {
    this.deadlines.clear()
    this.retransmits.clear()
    for (const p of [...this.pending.values()]) {
      this.settle(p)
      this.refuse(p, error())
    }
    this.finished.clear()
  }

  private expire (p: Pending): void {
    if (p.kind === 'send') {
      this.fail(p, new ZeroStateError('DELIVERY_FAILED', `no acknowledgement for ${p.msg.type} ${p.msg.id} within its TTL`), 'timeout')
      return
    }
    this.fail(p, new TimeoutError(`no response to ${p.msg.type} ${p.msg.id} from ${p.msg.to} within the timeout`), 'timeout')
  }

  private fail (p: Pending, error: Error, mark: 'timeout' | 'aborted' | undefined): void {
    if (this.pending.get(p.msg.id) !== p) return
    this.settle(p)
    if (mark !== undefined) this.finished.set(p.msg.id, mark)
    if (p.kind === 'request') this.init.metrics.requestDuration((performance.now() - p.startedAt) / 1000, 'error')
    this.refuse(p, error)
  }

  private fulfil (p: Pending, value: unknown): void {
    if (p.map === undefined) {
      p.resolve(value)
      return
    }
    let mapped: unknown
    try {
      mapped = p.map(value)
    } catch (err) {
      p.reject(err instanceof Error ? err : new Error(String(err)))
      return
    }
    p.resolve(mapped)
  }

  private refuse (p: Pending, error: Error): void {
    if (p.mapError === undefined) {
      p.reject(error)
      return
    }
    let mapped: Error
    try {
      mapped = p.mapError(error)
    } catch (err) {
      mapped = err instanceof Error ? err : error
    }
    p.reject(mapped)
  }

  private settle (p: Pending): void {
    this.pending.delete(p.msg.id)
    this.deadlines.remove(p, p.deadlineKey)
    this.cancelRetransmit(p)
    if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort)
  }

  private scheduleRetransmit (p: Pending): void {
    p.retransmitKey = this.retransmits.add(p, Date.now() + (p.acked ? this.init.retransmitMaxMs : p.backoffMs))
  }

  private cancelRetransmit (p: Pending): void {
    if (p.retransmitKey === 0) return
    this.retransmits.remove(p, p.retransmitKey)
    p.retransmitKey = 0
  }

  private retransmit (p: Pending): void {
    p.retransmitKey = 0
    if (this.pending.get(p.msg.id) !== p) return
    p.msg = { ...p.msg, attempt: (p.msg.attempt ?? 0) + 1 }
    this.init.metrics.retransmits.inc()
    this.init.route(p.msg, () => { /* the deadline wheel reports the failure */ })
    p.backoffMs = Math.min(p.backoffMs * 2, this.init.retransmitMaxMs)
    this.scheduleRetransmit(p)
  }
}
