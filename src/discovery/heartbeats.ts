/**
 * Heartbeats: the node broadcasts one HEARTBEAT per interval listing all its
 * live agents, another as soon as an agent comes or goes (coalesced within
 * one turn of the event loop), and a goodbye (`bye`) when it stops. Incoming
 * heartbeats feed the directory; this node's own changes are applied to the
 * directory synchronously, so a freshly spawned agent is selectable at once.
 */
import type { Logger } from 'pino'
import type { AgentSpec } from '../agent-types.ts'
import type { AgentRuntime } from '../agents/agent-runtime.ts'
import type { AgentMessage } from '../envelope-types.ts'
import type { AddressBook } from '../identity/did.ts'
import { NO_CORRELATION } from '../messaging/message-ids.ts'
import type { RouterCore } from '../messaging/router-core.ts'
import type { DirectoryTable } from './agent-directory.ts'
import type { DiscoveryMetrics } from './discovery-metrics.ts'
import { parseHeartbeat, type AnnouncedAgent, type HeartbeatPayload } from './heartbeat.ts'
import type { PeerDialer } from './peer-dialer.ts'

/** An agent of this node, as heartbeats announce it. */
export interface LocalAgent {
  id: string
  spec: AgentSpec
  runtime: AgentRuntime
}

export interface HeartbeatsInit {
  core: RouterCore
  addresses: AddressBook
  did: string
  /** This node's live agents. */
  agents: ReadonlyMap<string, LocalAgent>
  /** This node's dialable addresses. */
  multiaddrs: () => string[]
  table: DirectoryTable
  dialer: PeerDialer
  /** A node said goodbye (its peer id): messages waiting for it can fail now. */
  onGoodbye?: (peerId: string) => void
  metrics: DiscoveryMetrics
  logger: Logger
  heartbeatMs: number
  missedHeartbeats: number
  now?: () => number
}

export class Heartbeats {
  private readonly init: HeartbeatsInit
  private readonly now: () => number
  private seq = 0
  private ticker: NodeJS.Timeout | undefined
  private sweeper: NodeJS.Timeout | undefined
  private pending: NodeJS.Immediate | undefined
  private unobserve: (() => void) | undefined
  private closed = false

  constructor (init: HeartbeatsInit) {
    this.init = init
    this.now = init.now ?? Date.now
  }

  /** Listen for heartbeats, announce this node, and keep announcing every interval. */
  start (): void {
    const { core, did, heartbeatMs } = this.init
    this.unobserve = core.observe(did, 'HEARTBEAT', msg => { this.receive(msg) })
    this.ticker = setInterval(() => { void this.publish(this.announceLocally()) }, heartbeatMs)
    this.sweeper = setInterval(() => { this.sweep() }, Math.max(5, Math.floor(heartbeatMs / 4)))
    this.ticker.unref()
    this.sweeper.unref()
    this.changed()
  }

  /** This node's agents changed: update the directory now, tell the mesh within this turn of the event loop. */
  changed (): void {
    if (this.closed) return
    this.announceLocally()
    if (this.pending !== undefined) return
    this.pending = setImmediate(() => {
      this.pending = undefined
      if (!this.closed) void this.publish(this.announceLocally())
    })
  }

  /** Stop announcing, say goodbye to the mesh, and forget everything. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.ticker)
    clearInterval(this.sweeper)
    if (this.pending !== undefined) clearImmediate(this.pending)
    this.unobserve?.()
    await this.publish({ ...this.snapshot(), agents: [], bye: true })
    this.init.table.clear()
  }

  private snapshot (): HeartbeatPayload {
    this.seq = Math.max(this.seq + 1, this.now())
    const agents: AnnouncedAgent[] = []
    for (const { id, spec, runtime } of this.init.agents.values()) {
      const agent: AnnouncedAgent = { id, capabilities: spec.capabilities ?? [], load: runtime.load() }
      if (spec.price !== undefined) agent.price = spec.price
      agents.push(agent)
    }
    return { nodeDid: this.init.did, seq: this.seq, intervalMs: this.init.heartbeatMs, addrs: this.init.multiaddrs(), agents }
  }

  private announceLocally (): HeartbeatPayload {
    const heartbeat = this.snapshot()
    this.init.table.apply(heartbeat, this.now(), true)
    this.updateNodeGauge()
    return heartbeat
  }

  private async publish (heartbeat: HeartbeatPayload): Promise<void> {
    const { core, did, heartbeatMs, missedHeartbeats } = this.init
    const msg: AgentMessage = {
      id: core.ids.next(),
      correlationId: NO_CORRELATION,
      type: 'HEARTBEAT',
      delivery: 'BEST_EFFORT',
      timestamp: this.now(),
      ttl: heartbeatMs * missedHeartbeats,
      priority: 0,
      from: did,
      to: '',
      replyTo: did,
      payload: heartbeat
    }
    try {
      await core.broadcast(msg)
      this.init.metrics.heartbeatsSent.inc()
    } catch (err) {
      this.init.logger.debug({ err }, 'could not broadcast a heartbeat')
    }
  }

  private receive (msg: AgentMessage): void {
    const { addresses, did, metrics, logger } = this.init
    let sender
    try {
      sender = addresses.parse(msg.from)
    } catch {
      metrics.heartbeatsReceived.inc({ outcome: 'malformed' })
      return
    }
    // this node's own heartbeats were applied when they were made
    if (sender.nodeDid === did) return
    const parsed = parseHeartbeat(msg.payload, sender.nodeDid)
    if (!parsed.ok) {
      metrics.heartbeatsReceived.inc({ outcome: parsed.reason })
      logger.debug({ from: msg.from, reason: parsed.reason, detail: parsed.detail }, 'heartbeat refused')
      return
    }
    const { applied } = this.init.table.apply(parsed.heartbeat, this.now(), false)
    metrics.heartbeatsReceived.inc({ outcome: applied ? 'applied' : 'stale' })
    if (!applied) return
    this.updateNodeGauge()
    if (parsed.heartbeat.bye !== true) this.init.dialer.ensureConnected(sender.peerId, parsed.heartbeat.addrs)
    else this.init.onGoodbye?.(sender.peerId)
  }

  private sweep (): void {
    const dropped = this.init.table.expire(this.now())
    if (dropped > 0) {
      this.init.metrics.directoryExpired.inc(dropped)
      this.updateNodeGauge()
    }
  }

  private updateNodeGauge (): void {
    this.init.metrics.directoryNodes.set(this.init.table.nodeCount)
  }
}
