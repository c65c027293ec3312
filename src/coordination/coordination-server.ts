/**
 * The coordinator's side of COORDINATION messages: checks each request that
 * arrives over the bus, runs it on the authority as its caller, and pushes the
 * caller's notifications (lost leases, watched state) back to the caller's
 * node. The node wires `handle` to its `coordination` service and `peerLeft`
 * to peer departures.
 *
 * A request is accepted only for a caller that lives on the sending node:
 * the caller is the sender itself or one of its agents (`<node>#<agent>`).
 *
 * @example
 * ```ts
 * const server = serveCoordination({ authority, notify: (to, payload) => node.notify(to, 'coordination', payload) })
 * node.onServiceCall('coordination', (payload, from, requestId) => server.handle(payload, from, requestId))
 * node.onPeerLeft(did => server.peerLeft(did))
 * ```
 */
import type { Logger } from 'pino'
import { ZeroStateError, errorToWire } from '../errors.ts'
import type { CoordinationBackend, OpContext } from './coordination-backend.ts'
import { nodeOf } from './authority-scope.ts'
import { PROTOCOL_VERSION, compactResult, parseRequest, type CoordinationOp, type CoordinationPush, type CoordinationRequest, type CoordinationResult } from './protocol.ts'

export interface CoordinationServerInit {
  /** The authority (usually the LocalAuthority; `releaseHolder` is used when present). */
  authority: CoordinationBackend & {
    releaseHolder?: (holder: string) => void
    /** Results known at once returned as such (the LocalAuthority has it). */
    executeNow?: (op: CoordinationOp, ctx: OpContext) => CoordinationResult | Promise<CoordinationResult>
  }
  /** Push a payload to a node's `coordination` notification channel. */
  notify: (to: string, payload: CoordinationPush) => void | Promise<void>
  logger?: Logger
}

export interface CoordinationServer {
  /** Answer one COORDINATION request payload from `from` (the authenticated sender address). Never rejects. */
  handle: (payload: unknown, from: string, requestId?: string) => Promise<CoordinationResult>
  /** Like `handle`, but the answer itself when it is known at once (ops the authority completes in this turn). */
  handleNow: (payload: unknown, from: string, requestId?: string) => CoordinationResult | Promise<CoordinationResult>
  /** A node left (or stopped): stop pushing to it and release its agents' locks, waits and watches. */
  peerLeft: (address: string) => void
  /** Stop every push subscription. */
  close: () => void
}

class CoordinationServerImpl implements CoordinationServer {
  private readonly init: CoordinationServerInit
  private readonly subscriptions = new Map<string, { node: string, off: () => void }>()

  constructor (init: CoordinationServerInit) {
    this.init = init
  }

  handle (payload: unknown, from: string, requestId?: string): Promise<CoordinationResult> {
    const out = this.handleNow(payload, from, requestId)
    return out instanceof Promise ? out : Promise.resolve(out)
  }

  handleNow (payload: unknown, from: string, requestId?: string): CoordinationResult | Promise<CoordinationResult> {
    let request: CoordinationRequest
    try {
      request = parseRequest(payload, requestId === undefined ? { sender: from } : { sender: from, messageId: requestId })
    } catch (err) {
      this.init.logger?.debug({ err, from, requestId }, 'malformed coordination request')
      return failure(err)
    }
    const node = nodeOf(from)
    if (nodeOf(request.caller) !== node) {
      this.init.logger?.warn({ from, caller: request.caller }, 'coordination request for a caller of another node')
      return { ok: false, error: new ZeroStateError('INVALID_ARGUMENT', 'the caller does not belong to the sending node').toWire() }
    }
    this.ensureSubscribed(request.caller, node)
    const parsed = request
    const { authority } = this.init
    const ctx = { caller: parsed.caller, requestId: parsed.requestId }
    try {
      // An op the authority completes at once is answered in this turn (no promise hops before the answer leaves).
      const out = authority.executeNow !== undefined ? authority.executeNow(parsed.op, ctx) : authority.execute(parsed.op, ctx)
      return out instanceof Promise ? out.then(result => compactResult(parsed, result), failure) : compactResult(parsed, out)
    } catch (err) {
      return failure(err)
    }
  }

  peerLeft (address: string): void {
    const node = nodeOf(address)
    for (const [caller, sub] of [...this.subscriptions]) {
      if (sub.node !== node) continue
      sub.off()
      this.subscriptions.delete(caller)
    }
    this.init.authority.releaseHolder?.(node)
  }

  close (): void {
    for (const sub of this.subscriptions.values()) sub.off()
    this.subscriptions.clear()
  }

  private ensureSubscribed (caller: string, node: string): void {
    if (this.subscriptions.has(caller)) return
    const off = this.init.authority.subscribe(caller, notification => {
      const push: CoordinationPush = { v: PROTOCOL_VERSION, caller, notification }
      Promise.resolve()
        .then(async () => { await this.init.notify(node, push) })
        .catch((err: unknown) => { this.init.logger?.debug({ err, node }, 'coordination push not delivered') })
    })
    this.subscriptions.set(caller, { node, off })
  }
}

function failure (err: unknown): CoordinationResult {
  return { ok: false, error: errorToWire(err) }
}

/**
 * Serve the authority to other nodes.
 *
 * @example
 * ```ts
 * const server = serveCoordination({ authority, notify, logger })
 * ```
 */
export function serveCoordination (init: CoordinationServerInit): CoordinationServer {
  return new CoordinationServerImpl(init)
}
