/**
 * Connects to nodes learnt from heartbeats. Heartbeats travel the gossip
 * mesh over several hops, but direct messages (requests, calls for
 * proposals) need a direct connection, so a node that hears of agents on a
 * node it is not connected to dials it at the addresses it announced.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'
import type { DiscoveryMetrics } from './discovery-metrics.ts'

/** What the dialer needs from libp2p. */
export interface DialHost {
  getConnections: () => Array<{ remotePeer: { toString: () => string } }>
  dial: (addrs: Multiaddr[], options: { signal: AbortSignal }) => Promise<unknown>
}

export interface PeerDialerInit {
  host: DialHost
  metrics: DiscoveryMetrics
  logger: Logger
  /** Give up one dial after this long, ms. */
  dialTimeoutMs: number
  /** Wait at least this long before dialling the same node again after a failure, ms. */
  retryMs: number
  now?: () => number
}

export class PeerDialer {
  private readonly init: PeerDialerInit
  private readonly now: () => number
  private readonly dialing = new Set<string>()
  private readonly failedAt = new Map<string, number>()
  private readonly controller = new AbortController()

  constructor (init: PeerDialerInit) {
    this.init = init
    this.now = init.now ?? Date.now
  }

  /** Dial `peerId` at `addrs` unless connected, already dialling, or a recent dial failed. */
  ensureConnected (peerId: string, addrs: readonly string[]): void {
    if (this.controller.signal.aborted || this.dialing.has(peerId)) return
    const failed = this.failedAt.get(peerId)
    if (failed !== undefined && this.now() - failed < this.init.retryMs) return
    if (this.init.host.getConnections().some(c => c.remotePeer.toString() === peerId)) return
    const targets = dialTargets(peerId, addrs)
    if (targets.length === 0) return
    this.dialing.add(peerId)
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.init.dialTimeoutMs)])
    this.init.host.dial(targets, { signal }).then(
      () => {
        this.failedAt.delete(peerId)
        this.init.metrics.dials.inc({ outcome: 'connected' })
      },
      (err: unknown) => {
        this.failedAt.set(peerId, this.now())
        this.init.metrics.dials.inc({ outcome: 'failed' })
        this.init.logger.debug({ err, peer: peerId }, 'could not dial a node learnt from its heartbeat')
      }
    ).finally(() => { this.dialing.delete(peerId) })
  }

  /** Abort dials in progress and dial no more. */
  close (): void {
    this.controller.abort()
  }
}

/**
 * The announced addresses that can be dialled, each ending in
 * `/p2p/<peerId>` (so the connection is only accepted from that very node).
 */
export function dialTargets (peerId: string, addrs: readonly string[]): Multiaddr[] {
  const out: Multiaddr[] = []
  for (const addr of addrs) {
    let ma: Multiaddr
    try {
      ma = multiaddr(addr)
    } catch {
      continue
    }
    const peer = ma.getPeerId()
    if (peer === null) out.push(ma.encapsulate(`/p2p/${peerId}`))
    else if (peer === peerId) out.push(ma)
  }
  return out
}
