/**
 * The link from a node to its coordinator, as its coordination calls see it:
 * a call fails with `COORDINATOR_UNAVAILABLE` as soon as the coordinator's
 * connection drops while it is outstanding, or when a call that starts with
 * no connection gets none within `reachMs`. Without this a waiting op (lock
 * acquire, barrier wait) to a coordinator that stopped or crashed waited for
 * days: its message waits for the coordinator's inbox until its TTL.
 *
 * @example
 * ```ts
 * const link = watchCoordinatorLink({ host: node.internals.libp2p, peerId: coordinatorPeerId, reachMs: 5000 })
 * const call = link.watch()
 * try {
 *   return await core.call(msg, timeout, AbortSignal.any([signal, call.signal]))
 * } catch (err) {
 *   throw call.signal.aborted ? call.signal.reason : err
 * } finally {
 *   call.done()
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
}

/** One outstanding call's view of the link. */
export interface WatchedCall {
  /** Aborted, with a `COORDINATOR_UNAVAILABLE` error as reason, when the coordinator is lost. */
  readonly signal: AbortSignal
  /** The call ended: stop watching for it. */
  done: () => void
}

export interface CoordinatorLink {
  watch: () => WatchedCall
  /** Stop listening to the host. */
  close: () => void
}

class CoordinatorLinkImpl implements CoordinatorLink {
  private readonly init: CoordinatorLinkInit
  private readonly calls = new Set<AbortController>()
  private readonly coordinator: string

  constructor (init: CoordinatorLinkInit) {
    this.init = init
    this.coordinator = init.peerId.toString()
    init.host.addEventListener('peer:disconnect', this.onDisconnect)
  }

  watch (): WatchedCall {
    const controller = new AbortController()
    this.calls.add(controller)
    let timer: NodeJS.Timeout | undefined
    if (!this.connected()) {
      timer = setTimeout(() => {
        if (!this.connected()) this.lose(controller, `no connection to the coordinator within ${this.init.reachMs} ms`)
      }, this.init.reachMs)
      timer.unref()
    }
    return {
      signal: controller.signal,
      done: () => {
        if (timer !== undefined) clearTimeout(timer)
        this.calls.delete(controller)
      }
    }
  }

  close (): void {
    this.init.host.removeEventListener('peer:disconnect', this.onDisconnect)
  }

  private connected (): boolean {
    return this.init.host.getConnections(this.init.peerId).length > 0
  }

  private lose (controller: AbortController, why: string): void {
    this.calls.delete(controller)
    controller.abort(new ZeroStateError('COORDINATOR_UNAVAILABLE', `the coordinator is unavailable: ${why}`, { details: { coordinator: this.coordinator } }))
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    if (event.detail.toString() !== this.coordinator) return
    for (const controller of [...this.calls]) this.lose(controller, 'its connection closed')
  }
}

/** Watch the connection to the coordinator for the node's coordination calls. */
export function watchCoordinatorLink (init: CoordinatorLinkInit): CoordinatorLink {
  return new CoordinatorLinkImpl(init)
}
