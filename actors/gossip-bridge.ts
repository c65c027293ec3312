/**
 * The gossipsub bridge: the only code that touches gossipsub. It subscribes
 * the node's inbox and the broadcast topic, batches outgoing envelopes per
 * peer into frames (a message to an idle peer goes out at once; what follows
 * it in the same turn of the event loop shares one gossipsub message), waits
 * for a peer's inbox subscription before publishing to it (dialling the peer
 * when needed), and authenticates every incoming envelope's author before
 * handing it to the router core.
 *
 * Authentication, by signature policy:
 * - `strict-no-sign`: a direct message is accepted only from the peer it
 *   arrived from over its Noise-authenticated connection (inboxes have one
 *   subscriber, so direct messages travel one hop); broadcast-topic
 *   envelopes carry an Ed25519 signature by the author's node key.
 * - `strict-sign`: gossipsub signs every message; the signer is the author.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { GossipsubMessage } from '@chainsafe/libp2p-gossipsub'
import type { PrivateKey, SubscriptionChangeData } from '@libp2p/interface'
import type { Logger } from 'pino'
import { fromCallback } from 'xstate'
import { ZeroStateError } from '../src/errors.ts'
import type { AgentMessage } from '../src/envelope-types.ts'
import { AddressBytesCache, decodeEnvelope, encodeEnvelope, EnvelopeDecodeError } from '../src/envelope/codec.ts'
import { encodeFrame, MAX_FRAME_BYTES, splitFrame } from '../src/envelope/frame.ts'
import { signedContent, signEncodedEnvelope, verifySignature } from '../src/envelope/signing.ts'
import type { AddressBook } from '../src/identity/did.ts'
import type { RouterCore } from '../src/messaging/router-core.ts'
import type { Transport } from '../src/messaging/router-types.ts'
import type { Libp2pHost, SignaturePolicy } from '../src/net/libp2p-host.ts'
import { BROADCAST_TOPIC, inboxOwner, inboxTopic } from '../src/net/topics.ts'

/** Test and chaos hook: decide the fate of each outgoing direct envelope. */
export interface FaultInjector {
  outbound?: (msg: AgentMessage, peerId: string) => 'deliver' | 'drop' | 'duplicate'
}

export interface GossipBridgeInit {
  host: Libp2pHost
  core: RouterCore
  addresses: AddressBook
  privateKey: PrivateKey
  signaturePolicy: SignaturePolicy
  logger: Logger
  faults?: FaultInjector
  /** Most bytes batched into one frame. Default 256 KiB. */
  maxBatchBytes?: number
}

interface Outgoing { bytes: Uint8Array, deadline: number, onFailure: (error: Error) => void, /** Date.now() when it was handed over. */ queuedAt: number }

interface PeerQueue {
  peerId: string
  topic: string
  ready: boolean
  items: Outgoing[]
  bytes: number
  flushScheduled: boolean
  dialing: boolean
  /** When the last dial for waiting messages failed (0: none), and the wait before the next one. */
  dialFailedAt: number
  redialMs: number
}

const SIGNED_TYPES = new Set(['BROADCAST', 'HEARTBEAT', 'NEGOTIATION'])
const EXPIRY_CHECK_MS = 50
/**
 * How long a message for a node that said goodbye waits for it to come back
 * (connect and subscribe again) before it fails: a node restarting with the
 * same key is waited for, one that is gone does not hold callers until their
 * deadline.
 */
const DEPARTED_GRACE_MS = 1000
/** Messages held for one peer while its inbox subscription is awaited (or within one turn). */
const MAX_QUEUED_PER_PEER = 100_000
/** How long a stopping node lets recent publishes reach the socket before closing connections. */
const LINGER_MS = 30
/** First wait before re-dialling a peer that messages wait for; doubles up to REDIAL_MAX_MS. */
const REDIAL_MIN_MS = 100
const REDIAL_MAX_MS = 2000

export class GossipBridge implements Transport {
  private readonly host: Libp2pHost
  private readonly core: RouterCore
  private readonly addresses: AddressBook
  private readonly privateKey: PrivateKey
  private readonly policy: SignaturePolicy
  private readonly logger: Logger
  private readonly faults: FaultInjector | undefined
  private readonly maxBatchBytes: number
  private readonly queues = new Map<string, PeerQueue>()
  /** Peers that said goodbye and have not subscribed to their inbox since: messages for them fail at once. */
  private readonly departed = new Set<string>()
  private readonly inFlight = new Set<Promise<void>>()
  private lastPublishAt = 0
  private readonly addressBytes = new AddressBytesCache()
  private readonly inbox: string
  private expiryTimer: NodeJS.Timeout | undefined
  private running = false

  constructor (init: GossipBridgeInit) {
    this.host = init.host
    this.core = init.core
    this.addresses = init.addresses
    this.privateKey = init.privateKey
    this.policy = init.signaturePolicy
    this.logger = init.logger
    this.faults = init.faults
    this.maxBatchBytes = init.maxBatchBytes ?? 256 * 1024
    this.inbox = inboxTopic(init.core.peerId)
  }

  private get pubsub (): Libp2pHost['services']['pubsub'] { return this.host.services.pubsub }

  /** Subscribe and start listening. */
  start (): void {
    if (this.running) return
    this.running = true
    this.pubsub.addEventListener('gossipsub:message', this.onMessage)
    this.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.pubsub.subscribe(this.inbox)
    this.pubsub.subscribe(BROADCAST_TOPIC)
    this.core.transport = this
  }

  /** Unsubscribe, stop listening, and fail what is still queued. */
  stop (): void {
    if (!this.running) return
    this.running = false
    if (this.core.transport === this) this.core.transport = undefined
    this.pubsub.removeEventListener('gossipsub:message', this.onMessage)
    this.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    try {
      this.pubsub.unsubscribe(this.inbox)
      this.pubsub.unsubscribe(BROADCAST_TOPIC)
    } catch (err) {
      this.logger.debug({ err }, 'unsubscribe failed while stopping')
    }
    if (this.expiryTimer !== undefined) clearInterval(this.expiryTimer)
    this.expiryTimer = undefined
    for (const q of this.queues.values()) {
      for (const item of q.items) item.onFailure(new ZeroStateError('NODE_STOPPED', 'the node stopped before the message was sent'))
    }
    this.queues.clear()
    this.departed.clear()
  }

  // ── outgoing ────────────────────────────────────────────────────────────

  sendDirect (peerId: string, toNodeDid: string, msg: AgentMessage, deadline: number, onFailure: (error: Error) => void): void {
    if (!this.running) { onFailure(new ZeroStateError('NODE_STOPPED', 'the network bridge is stopped')); return }
    const fate = this.faults?.outbound?.(msg, peerId) ?? 'deliver'
    if (fate === 'drop') return
    let bytes: Uint8Array
    try {
      bytes = encodeEnvelope(msg, { impliedToNode: toNodeDid }, this.addressBytes)
    } catch (err) {
      onFailure(err instanceof Error ? err : new Error(String(err)))
      return
    }
    const q = this.queueFor(peerId)
    const item = { bytes, deadline, onFailure, queuedAt: Date.now() }
    if (q.ready && !q.flushScheduled && q.items.length === 0) {
      // Idle peer: send at once (no added latency), and batch whatever else
      // is sent to this peer until the next turn of the event loop.
      // An injected duplicate shares the frame (identical gossipsub messages would be deduplicated by gossipsub itself).
      this.publish(q, fate === 'duplicate' ? [item, item] : [item])
      this.scheduleFlush(q)
      return
    }
    if (q.items.length >= MAX_QUEUED_PER_PEER) {
      onFailure(new ZeroStateError('DELIVERY_FAILED', `${MAX_QUEUED_PER_PEER} messages are already waiting for node ${peerId}`))
      return
    }
    q.items.push(item)
    q.bytes += bytes.length
    if (fate === 'duplicate') {
      q.items.push(item)
      q.bytes += bytes.length
    }
    if (q.ready) this.scheduleFlush(q)
    else this.awaitSubscription(q)
  }

  async broadcast (msg: AgentMessage): Promise<void> {
    if (!this.running) return
    let bytes = encodeEnvelope(msg, {}, this.addressBytes)
    if (this.policy === 'strict-no-sign') bytes = await signEncodedEnvelope(bytes, this.privateKey)
    this.lastPublishAt = Date.now()
    try {
      await this.pubsub.publish(BROADCAST_TOPIC, bytes)
    } catch (err) {
      if (isNoPeers(err)) return
      this.logger.debug({ err }, 'broadcast publish failed')
    }
  }

  private queueFor (peerId: string): PeerQueue {
    let q = this.queues.get(peerId)
    if (q === undefined) {
      const topic = inboxTopic(peerId)
      q = { peerId, topic, ready: this.isSubscribed(peerId, topic), items: [], bytes: 0, flushScheduled: false, dialing: false, dialFailedAt: 0, redialMs: REDIAL_MIN_MS }
      this.queues.set(peerId, q)
    }
    return q
  }

  /** A connection to the peer exists (a departed node that connects again is waited for, as any other). */
  private connectedTo (peerId: string): boolean {
    return this.host.getConnections().some(c => c.remotePeer.toString() === peerId)
  }

  private isSubscribed (peerId: string, topic: string): boolean {
    return this.pubsub.getSubscribers(topic).some(p => p.toString() === peerId)
  }

  private scheduleFlush (q: PeerQueue): void {
    if (q.flushScheduled) return
    q.flushScheduled = true
    setImmediate(() => { this.flush(q) })
  }

  private flush (q: PeerQueue): void {
    q.flushScheduled = false
    if (!q.ready || q.items.length === 0 || !this.running) return
    const items = q.items
    q.items = []
    q.bytes = 0
    let start = 0
    while (start < items.length) {
      let end = start
      let size = 3
      while (end < items.length && (end === start || size + items[end]!.bytes.length + 5 <= Math.min(this.maxBatchBytes, MAX_FRAME_BYTES))) {
        size += items[end]!.bytes.length + 5
        end++
      }
      this.publish(q, items.slice(start, end))
      start = end
    }
  }

  private publish (q: PeerQueue, batch: Outgoing[]): void {
    const data = batch.length === 1 ? batch[0]!.bytes : encodeFrame(batch.map(i => i.bytes))
    const sent = this.pubsub.publish(q.topic, data).then(() => undefined, (err: unknown) => {
      if (isNoPeers(err)) {
        // The peer went away between our check and the publish: wait again.
        q.ready = false
        q.items.unshift(...batch)
        this.awaitSubscription(q)
        return
      }
      this.core.drop('publish_failed', undefined, err)
      for (const item of batch) item.onFailure(new ZeroStateError('DELIVERY_FAILED', 'gossipsub publish failed', { cause: err }))
    })
    this.lastPublishAt = Date.now()
    this.inFlight.add(sent)
    void sent.finally(() => { this.inFlight.delete(sent) })
  }

  /**
   * Send what is queued for reachable peers now and wait (at most
   * `timeoutMs`) for publishes under way, so answers given while the node
   * stops (e.g. coordination waiters told the authority is going) still
   * leave before the connections close.
   */
  async drain (timeoutMs: number): Promise<void> {
    for (const q of this.queues.values()) {
      if (q.ready && q.items.length > 0) this.flush(q)
    }
    const deadline = Date.now() + timeoutMs
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })
      ])
      if (timer !== undefined) clearTimeout(timer)
    }
    // A resolved publish has been handed to the connection's stream, not yet to
    // the socket; closing libp2p at once would cut it off. Linger briefly
    // (like SO_LINGER) when something left recently.
    const linger = Math.min(LINGER_MS, deadline - Date.now(), this.lastPublishAt + LINGER_MS - Date.now())
    if (linger > 0) await new Promise<void>(resolve => { setTimeout(resolve, linger) })
  }

  private awaitSubscription (q: PeerQueue): void {
    if (this.expiryTimer === undefined) {
      this.expiryTimer = setInterval(() => { this.expireWaiting() }, EXPIRY_CHECK_MS)
      this.expiryTimer.unref()
    }
    if (q.dialing) return
    const connected = this.host.getConnections().some(c => c.remotePeer.toString() === q.peerId)
    if (connected) return
    if (q.dialFailedAt !== 0 && Date.now() - q.dialFailedAt < q.redialMs) return
    q.dialing = true
    this.host.dial(peerIdFromString(q.peerId)).then(
      () => {
        q.dialing = false
        q.dialFailedAt = 0
        q.redialMs = REDIAL_MIN_MS
      },
      (err: unknown) => {
        q.dialing = false
        if (q.dialFailedAt !== 0) q.redialMs = Math.min(q.redialMs * 2, REDIAL_MAX_MS)
        q.dialFailedAt = Date.now()
        this.logger.debug({ err, peer: q.peerId }, 'dial for a direct message failed')
      }
    )
  }

  private expireWaiting (): void {
    const now = Date.now()
    let waiting = false
    for (const q of this.queues.values()) {
      if (q.ready || q.items.length === 0) continue
      const gone = this.departed.has(q.peerId) && !this.connectedTo(q.peerId)
      const keep: Outgoing[] = []
      for (const item of q.items) {
        if (gone && now - item.queuedAt >= DEPARTED_GRACE_MS) {
          item.onFailure(departedError(q.peerId))
        } else if (item.deadline <= now) {
          item.onFailure(new ZeroStateError('DELIVERY_FAILED', `node ${q.peerId} is not reachable (no inbox subscription seen before the deadline)`))
        } else {
          keep.push(item)
        }
      }
      q.items = keep
      if (keep.length > 0) {
        waiting = true
        // A peer that was unreachable may be back: dial it again (with backoff) while messages wait.
        if (this.running) this.awaitSubscription(q)
      }
    }
    if (!waiting && this.expiryTimer !== undefined) {
      clearInterval(this.expiryTimer)
      this.expiryTimer = undefined
    }
  }

  /**
   * The node `peerId` said goodbye: messages that wait for it (and those sent
   * to it later) fail with `DELIVERY_FAILED` once they have waited
   * `DEPARTED_GRACE_MS` without a connection to it, until it subscribes to
   * its inbox again (a restart with the same key). Messages to a node still
   * subscribed (it is draining) go out as usual.
   */
  nodeLeft (peerId: string): void {
    if (this.running) this.departed.add(peerId)
  }

  private readonly onSubscriptionChange = (event: CustomEvent<SubscriptionChangeData>): void => {
    const peerId = event.detail.peerId.toString()
    if (this.departed.size > 0 && event.detail.subscriptions.some(sub => sub.subscribe && sub.topic === inboxTopic(peerId))) this.departed.delete(peerId)
    const q = this.queues.get(peerId)
    if (q === undefined) return
    for (const sub of event.detail.subscriptions) {
      if (sub.topic !== q.topic) continue
      q.ready = sub.subscribe
      if (q.ready && q.items.length > 0) this.scheduleFlush(q)
    }
  }

  // ── incoming ────────────────────────────────────────────────────────────

  private readonly onMessage = (event: CustomEvent<GossipsubMessage>): void => {
    const { msg, propagationSource } = event.detail
    this.ingest(msg.topic, msg.data, msg.type === 'signed' ? msg.from.toString() : undefined, propagationSource.toString())
  }

  /**
   * Accept one gossipsub message: `signer` is gossipsub's verified author
   * (StrictSign), `source` the peer it arrived from. Never throws; bad input
   * is a counted drop.
   */
  ingest (topic: string, data: Uint8Array, signer: string | undefined, source: string): void {
    const direct = topic === this.inbox
    if (!direct && topic !== BROADCAST_TOPIC) {
      if (inboxOwner(topic) !== undefined) this.core.drop('wrong_node', undefined)
      return
    }
    let parts: Uint8Array[]
    try {
      parts = splitFrame(data)
    } catch (err) {
      this.core.drop(err instanceof EnvelopeDecodeError ? err.reason : 'malformed', undefined, err)
      return
    }
    for (const part of parts) this.onEnvelope(part, direct, signer, source)
  }

  private onEnvelope (bytes: Uint8Array, direct: boolean, signer: string | undefined, source: string): void {
    let env: AgentMessage
    try {
      env = decodeEnvelope(bytes, direct ? { impliedToNode: this.core.nodeDid } : {})
    } catch (err) {
      this.core.drop(err instanceof EnvelopeDecodeError ? err.reason : 'malformed', undefined, err)
      return
    }
    if (this.policy === 'strict-sign') {
      this.core.receive(env, { author: signer })
      return
    }
    if (direct) {
      this.core.receive(env, { author: source })
      return
    }
    if (!SIGNED_TYPES.has(env.type) || env.signature === undefined) {
      this.core.drop('forged_sender', env)
      return
    }
    this.verifyAndReceive(env, bytes)
  }

  private verifyAndReceive (env: AgentMessage, bytes: Uint8Array): void {
    const content = signedContent(bytes)
    let sender
    try {
      sender = this.addresses.parse(env.from)
    } catch {
      this.core.drop('malformed', env)
      return
    }
    if (content === undefined || env.signature === undefined) {
      this.core.drop('bad_signature', env)
      return
    }
    verifySignature(sender.nodeKey, content, env.signature).then(valid => {
      if (!valid) { this.core.drop('bad_signature', env); return }
      this.core.receive(env, { author: sender.peerId })
    }, (err: unknown) => { this.core.drop('bad_signature', env, err) })
  }
}

function isNoPeers (err: unknown): boolean {
  return err instanceof Error && /NoPeersSubscribedToTopic/.test(err.message)
}

/**
 * The bridge as an actor: started when the router machine enters `running`,
 * stopped when it leaves. The machine sees only lifecycle events.
 */
export function gossipBridgeActor (bridge: GossipBridge): ReturnType<typeof fromCallback> {
  return fromCallback(() => {
    bridge.start()
    return () => { bridge.stop() }
  })
}

function departedError (peerId: string): ZeroStateError {
  return new ZeroStateError('DELIVERY_FAILED', `node ${peerId} left the mesh (it said goodbye) and has not come back`, { details: { peerId } })
}
