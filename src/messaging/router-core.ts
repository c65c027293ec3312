/**
 * The delivery machinery of one node's router: sending (the pending table in
 * pending-table.ts keeps acks, retransmits and deadlines), receiver-side dedup with cached
 * responses, TTL, sender authentication, and dispatch to local agents,
 * services and observers. The gossipsub bridge (actors/gossip-bridge.ts) is
 * its only way to the network; agents on the same node are reached directly
 * (the local fast path: same semantics, no encoding).
 */
import type { Logger } from 'pino'
import { AbortedError, errorToWire, isZeroStateError, ZeroStateError, type WireError } from '../errors.ts'
import type { AgentMessage, MessageType } from '../envelope-types.ts'
import type { AddressBook } from '../identity/did.ts'
import type { Reply } from '../bus-types.ts'
import { ExpiringMap } from '../util/expiring-map.ts'
import { DeadlineWheel } from './deadline-wheel.ts'
import { MessageIdGenerator, NO_CORRELATION } from './message-ids.ts'
import type { DropReason, MessagingMetrics } from './messaging-metrics.ts'
import { PendingTable, type SettleShape } from './pending-table.ts'
import { resultToPayload, type TaskResult } from './response-payload.ts'
import type { AgentTask, InboundInfo, LocalAgent, ServiceHandler, Transport } from './router-types.ts'

export interface RouterCoreInit {
  nodeDid: string
  peerId: string
  addresses: AddressBook
  metrics: MessagingMetrics
  logger: Logger
  /** First retransmit delay for reliable deliveries (doubles up to `retransmitMaxMs`). Default 100 ms. */
  retransmitInitialMs?: number
  retransmitMaxMs?: number
  /** How long EXACTLY_ONCE ids (and cached responses) are remembered at least. Default 5 min (or the TTL if longer). */
  dedupMs?: number
}

type MessageObserver = (message: AgentMessage) => void

interface DedupEntry { response: AgentMessage | undefined }

/** An ACK held back in case the request's answer makes it unnecessary. */
interface DeferredAck { key: string, msg: AgentMessage, wheelKey: number }

/** How long an answered-request ACK is held back (the sender's first retransmit comes after 100 ms by default). */
const ACK_DELAY_MS = 20

const SWEEP_MS = 1000
const SUSPICIOUS: ReadonlySet<DropReason> = new Set(['malformed', 'oversized', 'unknown_version', 'unknown_type', 'forged_sender', 'bad_signature'])

export class RouterCore {
  readonly nodeDid: string
  readonly peerId: string
  readonly ids = new MessageIdGenerator()
  transport: Transport | undefined
  private readonly addresses: AddressBook
  private readonly metrics: MessagingMetrics
  private readonly logger: Logger
  private readonly agents = new Map<string, LocalAgent>()
  private readonly services = new Map<string, ServiceHandler>()
  private readonly observers = new Map<string, Map<MessageType, Set<MessageObserver>>>()
  private readonly pending: PendingTable
  private readonly deferredAcks = new Map<string, DeferredAck>()
  private readonly pendingAcks = new DeadlineWheel<DeferredAck>(entry => {
    this.deferredAcks.delete(entry.key)
    if (!this.stopped) this.ack(entry.msg)
  })
  private readonly dedup = new ExpiringMap<string, DedupEntry>({ maxEntries: 1_000_000 })
  private readonly dedupMs: number
  private readonly sweeper: NodeJS.Timeout
  private readonly loggedDrops = new Set<DropReason>()
  private stopped = false

  constructor (init: RouterCoreInit) {
    this.nodeDid = init.nodeDid
    this.peerId = init.peerId
    this.addresses = init.addresses
    this.metrics = init.metrics
    this.logger = init.logger
    this.pending = new PendingTable({
      metrics: this.metrics,
      route: (msg, onFailure) => { this.route(msg, onFailure) },
      onCallerAbort: msg => { this.cancelLocalTask(msg, { code: 'ABORTED', message: 'the caller aborted the request' }) },
      retransmitInitialMs: init.retransmitInitialMs ?? 100,
      retransmitMaxMs: init.retransmitMaxMs ?? 2000
    })
    this.dedupMs = init.dedupMs ?? 5 * 60_000
    this.sweeper = setInterval(() => {
      this.dedup.sweep()
      this.pending.sweep()
    }, SWEEP_MS)
    this.sweeper.unref()
  }

  // ── registration ────────────────────────────────────────────────────────

  registerAgent (name: string, agent: LocalAgent): void {
    if (this.agents.has(name)) throw new ZeroStateError('DUPLICATE_AGENT', `an agent named "${name}" already runs on this node`)
    this.agents.set(name, agent)
  }

  unregisterAgent (name: string): void { this.agents.delete(name) }

  hasAgent (name: string): boolean { return this.agents.has(name) }

  /** Serve requests (of any request-like type) sent to `<node did>#_<name>`. */
  registerService (name: string, handler: ServiceHandler): () => void {
    this.services.set(name, handler)
    return () => { if (this.services.get(name) === handler) this.services.delete(name) }
  }

  /** Observe messages of `type` addressed to `address` (and broadcast-type messages). */
  observe (address: string, type: MessageType, handler: MessageObserver): () => void {
    let byType = this.observers.get(address)
    if (byType === undefined) { byType = new Map(); this.observers.set(address, byType) }
    let set = byType.get(type)
    if (set === undefined) { set = new Set(); byType.set(type, set) }
    set.add(handler)
    return () => { set.delete(handler) }
  }

  /** Drop every observer of an address (its agent stopped). */
  forgetAddress (address: string): void { this.observers.delete(address) }

  // ── sending ─────────────────────────────────────────────────────────────

  /** Send a REQUEST-like message and wait for its RESPONSE. */
  call (msg: AgentMessage, timeoutMs: number, signal?: AbortSignal): Promise<Reply> {
    return this.track(msg, 'request', timeoutMs, signal) as Promise<Reply>
  }

  /** Like {@link RouterCore.call}, resolving with the RESPONSE payload alone. */
  callForPayload (msg: AgentMessage, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    return this.track(msg, 'request', timeoutMs, signal, PAYLOAD_ONLY)
  }

  /**
   * Like {@link RouterCore.callForPayload}, with the caller's mapping of the
   * payload and of a failure applied as the answer arrives (one promise for a
   * caller that would otherwise chain its own reactions).
   */
  callMapped (msg: AgentMessage, timeoutMs: number, signal: AbortSignal | undefined, map: (payload: unknown) => unknown, mapError: (error: Error) => Error): Promise<unknown> {
    return this.track(msg, 'request', timeoutMs, signal, { payloadOnly: true, map, mapError })
  }

  /**
   * Fail the outstanding call or reliable send `id` with `error` (for owners
   * that watch a condition of their own, such as the coordinator link). A
   * late answer is dropped as `late_response`. False when nothing waits.
   */
  failCall (id: string, error: Error): boolean {
    return this.pending.failById(id, error)
  }

  /** Send a one-way message; reliable deliveries resolve on ACK. */
  async send (msg: AgentMessage, signal?: AbortSignal): Promise<void> {
    if (msg.delivery === 'BEST_EFFORT' || this.isLocal(msg.to)) {
      this.checkOpen()
      this.addresses.parse(msg.to)
      if (signal?.aborted === true) throw new AbortedError()
      this.route(msg)
      return
    }
    const ttl = msg.ttl > 0 ? msg.ttl : 30_000
    await this.track(msg, 'send', ttl, signal)
  }

  /** Publish a broadcast-type message to every node, and deliver it locally. */
  async broadcast (msg: AgentMessage): Promise<void> {
    this.checkOpen()
    this.metrics.sent(msg.type)
    this.dispatchBroadcast(msg)
    if (this.transport !== undefined) await this.transport.broadcast(msg)
  }

  /** Validate, then hand to the pending table; synchronous failures become rejections. */
  private track (msg: AgentMessage, kind: 'request' | 'send', timeoutMs: number, signal?: AbortSignal, shape?: SettleShape): Promise<unknown> {
    try {
      this.checkOpen()
      this.addresses.parse(msg.to)
      if (this.pending.has(msg.id)) throw new ZeroStateError('INVALID_ARGUMENT', `a message with id ${msg.id} is already waiting for an answer`)
      if (signal?.aborted === true) throw new AbortedError('aborted before sending', { cause: signal.reason })
    } catch (err) {
      return Promise.reject(shape?.mapError === undefined ? err : shape.mapError(err instanceof Error ? err : new Error(String(err))))
    }
    return this.pending.track(msg, kind, timeoutMs, signal, !this.isLocal(msg.to), shape)
  }

  /** A local caller gave up on a task of a local agent: let the agent drop or abort it. */
  private cancelLocalTask (msg: AgentMessage, reason: WireError): void {
    if (msg.type !== 'REQUEST' || !this.isLocal(msg.to)) return
    const name = this.addresses.parse(msg.to).agent
    this.agents.get(name)?.cancel(msg.id, reason)
  }

  /** Hand a message to its node: directly when local, else to the transport. */
  private route (msg: AgentMessage, onFailure?: (error: Error) => void): void {
    this.metrics.sent(msg.type)
    const target = this.addresses.parse(msg.to)
    if (target.nodeDid === this.nodeDid) {
      this.receive(msg, undefined)
      return
    }
    if (this.transport === undefined) {
      onFailure?.(new ZeroStateError('DELIVERY_FAILED', 'this node has no network transport running'))
      return
    }
    const deadline = msg.ttl > 0 ? msg.timestamp + msg.ttl : Date.now() + 30_000
    this.transport.sendDirect(target.peerId, target.nodeDid, msg, deadline, onFailure ?? (error => {
      this.logger.debug({ err: error, to: msg.to, type: msg.type }, 'message could not be handed over')
    }))
  }

  private isLocal (address: string): boolean {
    return address.startsWith(this.nodeDid) && (address.length === this.nodeDid.length || address.charCodeAt(this.nodeDid.length) === 35)
  }

  // ── receiving ───────────────────────────────────────────────────────────

  /**
   * Accept one decoded envelope. `info` is undefined for the local fast path
   * (trusted) and carries the authenticated author for remote envelopes.
   * Never throws: anything wrong is a counted drop.
   */
  receive (msg: AgentMessage, info: InboundInfo | undefined): void {
    try {
      this.accept(msg, info)
    } catch (err) {
      this.drop('malformed', msg, err)
    }
  }

  /**
   * Count and log a dropped envelope: suspicious input (malformed, forged,
   * badly signed) is logged once per reason at warn, everything else (and
   * repeats) at debug.
   */
  drop (reason: DropReason, msg: Partial<AgentMessage> | undefined, err?: unknown): void {
    this.metrics.dropped(reason)
    const fields = { reason, id: msg?.id, type: msg?.type, from: msg?.from, err }
    if (SUSPICIOUS.has(reason) && !this.loggedDrops.has(reason)) {
      this.loggedDrops.add(reason)
      this.logger.warn(fields, 'dropped an incoming message')
    } else {
      this.logger.debug(fields, 'dropped an incoming message')
    }
  }

  private accept (msg: AgentMessage, info: InboundInfo | undefined): void {
    if (this.stopped) return
    if (info !== undefined) {
      const sender = this.addresses.parse(msg.from)
      if (info.author === undefined || sender.peerId !== info.author) {
        this.drop('forged_sender', msg)
        return
      }
    }
    const now = Date.now()
    if (msg.ttl > 0 && now > msg.timestamp + msg.ttl) {
      this.drop('expired', msg)
      if (expectsAnswer(msg) && msg.type !== 'RESPONSE') {
        this.answer(msg, msg.to, { ok: false, error: { code: 'EXPIRED', message: `message expired ${now - msg.timestamp - msg.ttl} ms before delivery` } })
      }
      return
    }
    switch (msg.type) {
      case 'RESPONSE': this.onResponse(msg); return
      case 'ACK': this.pending.onAck(msg); return
      case 'BROADCAST':
      case 'HEARTBEAT':
        if (msg.to === '') {
          this.metrics.received(msg.type)
          this.dispatchBroadcast(msg)
          return
        }
        break
      default: break
    }
    this.onAddressed(msg, info, now)
  }

  private onResponse (msg: AgentMessage): void {
    const dropped = this.pending.onResponse(msg)
    if (dropped !== undefined) this.drop(dropped, msg)
  }

  private onAddressed (msg: AgentMessage, info: InboundInfo | undefined, now: number): void {
    const to = this.addresses.parse(msg.to)
    if (to.nodeDid !== this.nodeDid) {
      this.drop('wrong_node', msg)
      return
    }
    const remote = info !== undefined
    // Dedup per (id, recipient): a caller that retries one id on another agent of this node is a new delivery.
    // One key per inbound reliable message, shared by the dedup cache and the deferred ACK.
    const key = msg.delivery === 'EXACTLY_ONCE' || (remote && msg.delivery !== 'BEST_EFFORT') ? `${msg.id}${msg.to}` : ''
    if (msg.delivery === 'EXACTLY_ONCE') {
      const seen = this.dedup.get(key)
      if (seen !== undefined) {
        this.drop('duplicate', msg)
        if (remote) this.ack(msg)
        if (seen.response !== undefined) this.route({ ...seen.response, id: this.ids.next(), timestamp: now })
        return
      }
      this.dedup.set(key, { response: undefined }, now + Math.max(this.dedupMs, msg.ttl))
    }
    if (remote && msg.delivery !== 'BEST_EFFORT') {
      // A request's answer is its acknowledgement: ACK separately only if the answer is slow to come.
      if (expectsAnswer(msg)) this.deferAck(msg, key)
      else this.ack(msg)
    }
    this.metrics.received(msg.type)
    this.notify(msg.to, msg)

    const name = to.agent
    if (name.startsWith('_')) {
      this.serve(name.slice(1), msg)
      return
    }
    if (msg.type !== 'REQUEST') {
      if (name !== '' && !this.agents.has(name) && expectsAnswer(msg)) this.answer(msg, msg.to, { ok: false, error: notFound(msg.to) })
      return
    }
    const agent = name === '' ? undefined : this.agents.get(name)
    if (agent === undefined) {
      this.drop('unknown_recipient', msg)
      if (expectsAnswer(msg)) this.answer(msg, msg.to, { ok: false, error: notFound(msg.to) })
      return
    }
    agent.deliver({
      taskId: msg.id,
      payload: msg.payload,
      priority: msg.priority,
      deadline: msg.ttl > 0 ? msg.timestamp + msg.ttl : 0,
      budget: msg.budget ?? null,
      from: msg.from,
      replyTo: expectsAnswer(msg) ? msg.replyTo : ''
    })
  }

  private serve (service: string, msg: AgentMessage): void {
    const handler = this.services.get(service)
    if (handler === undefined) {
      this.drop('unknown_recipient', msg)
      if (expectsAnswer(msg)) this.answer(msg, msg.to, { ok: false, error: notFound(msg.to) })
      return
    }
    let out: unknown
    try {
      out = handler(msg)
    } catch (err) {
      if (expectsAnswer(msg)) this.answer(msg, msg.to, { ok: false, error: errorToWire(err) })
      return
    }
    if (!expectsAnswer(msg)) {
      if (out instanceof Promise) out.catch(err => { this.logger.debug({ err, service }, 'service notification handler failed') })
      return
    }
    if (!isThenable(out)) {
      // Answered at once: the answer leaves in this turn, before other work queued behind it.
      this.answer(msg, msg.to, { ok: true, output: out, cost: 0 })
      return
    }
    out.then(
      value => { this.answer(msg, msg.to, { ok: true, output: value, cost: 0 }) },
      err => { this.answer(msg, msg.to, { ok: false, error: errorToWire(err) }) }
    )
  }

  private notify (address: string, msg: AgentMessage): void {
    const set = this.observers.get(address)?.get(msg.type)
    if (set === undefined || set.size === 0) return
    for (const handler of set) {
      try { handler(msg) } catch (err) { this.logger.warn({ err, type: msg.type }, 'message observer threw') }
    }
  }

  private dispatchBroadcast (msg: AgentMessage): void {
    for (const byType of this.observers.values()) {
      const set = byType.get(msg.type)
      if (set === undefined) continue
      for (const handler of set) {
        try { handler(msg) } catch (err) { this.logger.warn({ err, type: msg.type }, 'broadcast observer threw') }
      }
    }
  }

  /** ACK `msg` unless it is answered within ACK_DELAY_MS (well before the sender's first retransmit). */
  private deferAck (msg: AgentMessage, key: string): void {
    const entry = { key, msg, wheelKey: 0 }
    entry.wheelKey = this.pendingAcks.add(entry, Date.now() + ACK_DELAY_MS)
    this.deferredAcks.set(key, entry)
  }

  /** The request (dedup key `key`) was answered: its deferred ACK is not needed. */
  private answered (key: string): void {
    const entry = this.deferredAcks.get(key)
    if (entry === undefined) return
    this.deferredAcks.delete(key)
    this.pendingAcks.remove(entry, entry.wheelKey)
  }

  private ack (msg: AgentMessage): void {
    this.route({
      id: this.ids.next(),
      correlationId: msg.id,
      type: 'ACK',
      delivery: 'BEST_EFFORT',
      timestamp: Date.now(),
      ttl: 30_000,
      priority: msg.priority,
      from: msg.to,
      to: msg.replyTo,
      replyTo: msg.to,
      payload: undefined
    })
  }

  /** Answer a task delivered to a local agent. */
  replyToTask (agentAddress: string, task: AgentTask, result: TaskResult): void {
    if (task.replyTo === '' || this.stopped) return
    this.respond(task.taskId, agentAddress, task.replyTo, task.priority, task.deadline, result)
  }

  private answer (request: AgentMessage, from: string, result: TaskResult): void {
    const deadline = request.ttl > 0 ? request.timestamp + request.ttl : 0
    this.respond(request.id, from, request.replyTo, request.priority, deadline, result)
  }

  private respond (requestId: string, from: string, to: string, priority: number, deadline: number, result: TaskResult): void {
    // The inbound request's key (as in onAddressed), if anything may be kept under it.
    const key = this.deferredAcks.size === 0 && this.dedup.isEmpty ? undefined : `${requestId}${from}`
    if (key !== undefined && this.deferredAcks.size > 0) this.answered(key)
    const cachedKey = key !== undefined && !this.dedup.isEmpty ? key : undefined
    if (cachedKey === undefined && this.isLocal(to)) {
      // Local fast path: settle the caller directly; no RESPONSE envelope to build, route and re-read.
      this.metrics.sent('RESPONSE')
      const dropped = this.pending.answer(requestId, result, from)
      if (dropped !== undefined) this.drop(dropped, { id: requestId, type: 'RESPONSE', from })
      return
    }
    const now = Date.now()
    const response: AgentMessage = {
      id: this.ids.next(),
      correlationId: requestId,
      type: 'RESPONSE',
      delivery: 'BEST_EFFORT',
      timestamp: now,
      ttl: deadline > now ? deadline - now : 30_000,
      priority,
      from,
      to,
      replyTo: from,
      payload: resultToPayload(result)
    }
    const cached = cachedKey === undefined ? undefined : this.dedup.get(cachedKey)
    if (cached !== undefined) cached.response = response
    if (this.isLocal(to)) {
      // Local answers are handed over without encoding: nothing can fail on the way.
      this.route(response)
      return
    }
    try {
      this.route(response, err => { this.responseFailed(requestId, from, to, priority, deadline, result, err) })
    } catch (err) {
      this.responseFailed(requestId, from, to, priority, deadline, result, err instanceof Error ? err : new Error(String(err)))
    }
  }

  /**
   * An answer that cannot be encoded (not plain data, too large) is replaced
   * by an error answer, so the caller learns why instead of timing out.
   */
  private responseFailed (requestId: string, from: string, to: string, priority: number, deadline: number, result: TaskResult, err: Error): void {
    if (result.ok && isZeroStateError(err) && (err.code === 'INVALID_ARGUMENT' || err.code === 'PAYLOAD_TOO_LARGE')) {
      this.respond(requestId, from, to, priority, deadline, { ok: false, error: { code: 'HANDLER_ERROR', message: `the handler's result could not be sent: ${err.message}`, details: { code: err.code } } })
      return
    }
    this.logger.debug({ err, to }, 'could not send a response')
  }

  // ── lifecycle ───────────────────────────────────────────────────────────

  private checkOpen (): void {
    if (this.stopped) throw new ZeroStateError('NODE_STOPPED', 'the node is stopped')
  }

  /** Reject everything pending and stop accepting messages. */
  stop (): void {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.sweeper)
    this.pending.rejectAll(() => new ZeroStateError('NODE_STOPPED', 'the node stopped before an answer arrived'))
    this.pendingAcks.clear()
    this.deferredAcks.clear()
    this.dedup.clear()
  }
}

const PAYLOAD_ONLY: SettleShape = { payloadOnly: true }

function expectsAnswer (msg: AgentMessage): boolean {
  return msg.correlationId === msg.id && msg.correlationId !== NO_CORRELATION
}

function notFound (address: string): WireError {
  return { code: 'AGENT_NOT_FOUND', message: `no agent at ${address}` }
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
