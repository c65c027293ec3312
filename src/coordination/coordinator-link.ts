/**
 * The link from a node to its coordinator, as its coordination calls see it:
 * a call fails with `COORDINATOR_UNAVAILABLE` as soon as the coordinator's
 * connection drops while it is outstanding, or when a call that starts with
 * no connection gets none within `reachMs`. Without this a waiting op (lock
 * acquire, barrier wait) to a coordinator that stopped or crashed waited for
 * days: its message waits for the coordinator's inbox until its TTL.
 *
 * Calls are watched by id and failed through `fail` (the router's pending
 * table), so an ordinary call costs a set insertion, not an AbortController
 * and its listeners.
 *
 * @example
 * ```ts
 * const link = watchCoordinatorLink({ host: node.internals.libp2p, peerId: coordinatorPeerId, reachMs: 5000, fail: (id, err) => core.failCall(id, err) })
 * link.watch(msg.id)
 * try {
 *   return await core.call(msg, timeout, signal)
 * } finally {
 *   link.done(msg.id)
 * }
 * ```
 */
import type { PeerId } from '@libp2p/interface'
import { ZeroStateError } from '../errors.ts'

/** The part of the libp2p host the link watches. */
export interface CoordinatorLinkHost {
  getConnections: (peerId?: PeerId) => unknown[]
  addEventListener: (type: 'peer:disconnect', listener: (event: CustomEvent<PeerId>) => void) => void
  removeEventListener: (type: 'peer:disconnect', listener: (event: CustomEvent<PeerId>) => void) => void
}

export interface CoordinatorLinkInit {
  host: CoordinatorLinkHost
  /** The coordinator's peer id. */
  peerId: PeerId
  /** How long a call that starts without a connection waits for one, ms. */
  reachMs: number
  /** Fail the outstanding call `id` with `error` (a `COORDINATOR_UNAVAILABLE` error). */
  fail: (id: string, error: ZeroStateError) => void
}

export interface CoordinatorLink {
  /** Watch call `id` until {@link CoordinatorLink.done}: it is failed through `fail` if the coordinator is lost meanwhile. */
  watch: (id: string) => void
  /** Call `id` ended: stop watching it. */
  done: (id: string) => void
  /** Stop listening to the host (and forget every watched call). */
  close: () => void
}

class CoordinatorLinkImpl implements CoordinatorLink {
  private readonly init: CoordinatorLinkInit
  /** Watched calls; a call that started without a connection carries its reach timer. */
  private readonly calls = new Map<string, NodeJS.Timeout | undefined>()
  private readonly coordinator: string

  constructor (init: CoordinatorLinkInit) {
    this.init = init
    this.coordinator = init.peerId.toString()
    init.host.addEventListener('peer:disconnect', this.onDisconnect)
  }

  watch (id: string): void {
    if (this.connected()) {
      this.calls.set(id, undefined)
      return
    }
    const timer = setTimeout(() => {
      if (this.connected()) this.calls.set(id, undefined)
      else this.lose(id, `no connection to the coordinator within ${this.init.reachMs} ms`)
    }, this.init.reachMs)
    timer.unref()
    this.calls.set(id, timer)
  }

  done (id: string): void {
    const timer = this.calls.get(id)
    if (timer !== undefined) clearTimeout(timer)
    this.calls.delete(id)
  }

  close (): void {
    this.init.host.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const id of [...this.calls.keys()]) this.done(id)
  }

  /** Cached while true: `peer:disconnect` clears it (a lookup in the connection manager per call costs more). */
  private knownConnected = false

  private connected (): boolean {
    if (!this.knownConnected) this.knownConnected = this.init.host.getConnections(this.init.peerId).length > 0
    return this.knownConnected
  }

  private lose (id: string, why: string): void {
    if (!this.calls.has(id)) return
    this.done(id)
    this.init.fail(id, new ZeroStateError('COORDINATOR_UNAVAILABLE', `the coordinator is unavailable: ${why}`, { details: { coordinator: this.coordinator } }))
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    if (event.detail.toString() !== this.coordinator) return
    this.knownConnected = false
    for (const id of [...this.calls.keys()]) this.lose(id, 'its connection closed')
  }
}

/** Watch the connection to the coordinator for the node's coordination calls. */
export function watchCoordinatorLink (init: CoordinatorLinkInit): CoordinatorLink {
  return new CoordinatorLinkImpl(init)
}
