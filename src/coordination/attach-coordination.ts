/**
 * Wires coordination into a node: the coordinator runs the LocalAuthority
 * and serves it as the node service `<did>#_coordination`; every other node
 * reaches it with COORDINATION requests (EXACTLY_ONCE, the op's request id as
 * message id) and receives pushes at `<did>#_coordination-push`. Gives
 * `node.coordination`, a client per agent, and the release of a stopped
 * agent's holdings.
 *
 * @example
 * ```ts
 * const base = await createBaseNode(init)
 * const coordination = attachCoordination(base, { coordinator: init.coordinator })
 * const node = { ...base, coordination: coordination.coordination }
 * // when an agent stops:
 * await coordination.releaseHolder(agent.id)
 * ```
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { AgentMessage } from '../envelope-types.ts'
import { ZeroStateError } from '../errors.ts'
import { didFromPublicKey } from '../identity/did.ts'
import { NO_CORRELATION } from '../messaging/message-ids.ts'
import type { BaseNode } from '../node/create-node.ts'
import { nodeOf } from './authority-scope.ts'
import type { CoordinationBackend } from './coordination-backend.ts'
import { createCoordinationClient, releaseHolder } from './coordination-client.ts'
import { serveCoordination } from './coordination-server.ts'
import { createLocalAuthority, type LocalAuthority } from './local-authority.ts'
import { watchCoordinatorLink } from './coordinator-link.ts'
import { createRemoteBackend, type CoordinationTransport } from './remote-backend.ts'
import { compactRequest, type CoordinationRequest } from './protocol.ts'
import type { Coordination, SignalOptions } from './types.ts'

/** The node service that answers coordination requests. */
export const COORDINATION_SERVICE = 'coordination'
/** The node service that receives the coordinator's pushes. */
export const COORDINATION_PUSH_SERVICE = 'coordination-push'
/** Longest a waiting op's message may live (the envelope's TTL limit). */
const MAX_CALL_MS = 7 * 24 * 3600 * 1000

export interface AttachCoordinationInit {
  /** The coordinator: a DID, node address, peer id or multiaddr ending in `/p2p/<peer id>`. Default: this node. */
  coordinator?: string
  /** Deadline of ops that do not wait, ms. Default 10 000. */
  timeout?: number
  /** How long a call waits for a connection to the coordinator when it has none, ms. Default 5 000. */
  reachMs?: number
}

export interface NodeCoordination {
  /** `node.coordination`: acts as the node address. */
  readonly coordination: Coordination
  /** Whether this node hosts the authority. */
  readonly isCoordinator: boolean
  /** The DID of the coordinator node. */
  readonly coordinatorDid: string
  /** The authority, on the coordinator only. */
  readonly authority: LocalAuthority | undefined
  /** A client acting as `address` (an agent id of this node); one per address. */
  forHolder: (address: string) => Coordination
  /** Release everything `address` (this node or one of its agents) holds; call when an agent stops. */
  releaseHolder: (address: string, options?: SignalOptions) => Promise<void>
  /** Tear down: release this node's holdings (non-coordinator), close clients, authority and services. */
  stop: () => Promise<void>
}

/** Turn a DID, address, peer id or `/p2p/` multiaddr into the node's DID. */
export function resolveNodeDid (spec: string): string {
  if (spec.startsWith('did:key:')) return nodeOf(spec)
  const p2p = spec.lastIndexOf('/p2p/')
  const id = p2p === -1 ? spec : spec.slice(p2p + 5).split('/')[0]
  try {
    const key = peerIdFromString(id).publicKey
    if (key === undefined) throw new Error('the peer id does not embed its key')
    return didFromPublicKey(key.raw)
  } catch (err) {
    throw new ZeroStateError('INVALID_ADDRESS', `cannot derive a node DID from coordinator "${spec.slice(0, 120)}"`, { cause: err })
  }
}

export function attachCoordination (node: BaseNode, init: AttachCoordinationInit = {}): NodeCoordination {
  const { core, host } = node.internals
  const logger = node.logger.child({ service: 'coordination' })
  const coordinatorDid = resolveNodeDid(init.coordinator ?? node.did)
  const isCoordinator = coordinatorDid === node.did
  const undo: Array<() => void> = []
  let authority: LocalAuthority | undefined
  let backend: CoordinationBackend

  if (isCoordinator) {
    const local = createLocalAuthority({ host, registry: node.registry, logger })
    const server = serveCoordination({
      authority: local,
      logger,
      notify: async (to, payload) => {
        await core.send(message(core.ids.next(), NO_CORRELATION, `${to}#_${COORDINATION_PUSH_SERVICE}`, payload, 'EXACTLY_ONCE', 30_000))
      }
    })
    undo.push(core.registerService(COORDINATION_SERVICE, msg => server.handleNow(msg.payload, msg.from, msg.id)), () => { server.close() }, () => { local.close() })
    authority = local
    backend = local
  } else {
    const pushCallbacks = new Set<(payload: unknown) => void>()
    undo.push(core.registerService(COORDINATION_PUSH_SERVICE, msg => {
      if (nodeOf(msg.from) !== coordinatorDid) return
      for (const cb of [...pushCallbacks]) cb(msg.payload)
    }))
    // A lost coordinator fails the calls that wait on it (a waiting op's message would otherwise wait for its inbox for days).
    const link = watchCoordinatorLink({
      host: node.internals.libp2p,
      peerId: peerIdFromString(node.internals.addresses.parse(coordinatorDid).peerId),
      reachMs: init.reachMs ?? 5000,
      fail: (id, error) => { core.failCall(id, error) }
    })
    undo.push(() => { link.close() })
    /** The COORDINATION request for `payload`, its deadline, and the link watching it. */
    const outgoing = (payload: unknown, timeout: number | undefined, requestId: string): { msg: AgentMessage, ms: number } => {
      const ms = Math.min(timeout ?? init.timeout ?? 10_000, MAX_CALL_MS)
      const wire = compactRequest(payload as CoordinationRequest, { sender: node.did, messageId: requestId })
      link.watch(requestId)
      return { msg: message(requestId, requestId, `${coordinatorDid}#_${COORDINATION_SERVICE}`, wire, 'EXACTLY_ONCE', ms), ms }
    }
    const transport: CoordinationTransport = {
      // Not async: the router's promise with one reaction, no extra hops per op.
      call: (payload, { signal, timeout, requestId }) => {
        const { msg, ms } = outgoing(payload, timeout, requestId)
        return core.call(msg, ms, signal).then(
          reply => { link.done(requestId); return reply.payload },
          (err: unknown) => { link.done(requestId); throw err }
        )
      },
      // The answer (or failure) mapped as it arrives: one promise per op.
      callMapped: (payload, { timeout, requestId }, map, mapError) => {
        const { msg, ms } = outgoing(payload, timeout, requestId)
        return core.callMapped(msg, ms, undefined,
          answer => { link.done(requestId); return map(answer) },
          (err: Error) => { link.done(requestId); return mapError(err) })
      },
      onNotify: cb => {
        pushCallbacks.add(cb)
        return () => { pushCallbacks.delete(cb) }
      }
    }
    const remote = createRemoteBackend({ transport, logger, ...(init.timeout === undefined ? {} : { timeout: init.timeout }) })
    undo.push(() => { remote.close() })
    backend = remote
  }

  function message (id: string, correlationId: string, to: string, payload: unknown, delivery: AgentMessage['delivery'], ttl: number): AgentMessage {
    return { id, correlationId, type: 'COORDINATION', delivery, timestamp: Date.now(), ttl, priority: 0, from: node.did, to, replyTo: node.did, payload }
  }

  const clients = new Map<string, Coordination>()
  const forHolder = (address: string): Coordination => {
    if (nodeOf(address) !== node.did) throw new ZeroStateError('INVALID_ARGUMENT', `${address} is not this node or one of its agents`)
    let client = clients.get(address)
    if (client === undefined) {
      client = createCoordinationClient({ backend, holder: address, logger })
      clients.set(address, client)
    }
    return client
  }

  const release = async (address: string, options: SignalOptions = {}): Promise<void> => {
    clients.get(address)?.close()
    clients.delete(address)
    if (authority !== undefined) authority.releaseHolder(address)
    else await releaseHolder(backend, node.did, address, options)
  }

  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    if (!isCoordinator) {
      await release(node.did, { signal: AbortSignal.timeout(1000) }).catch((err: unknown) => { logger.debug({ err }, 'could not release this node\'s holdings') })
    }
    for (const client of clients.values()) client.close()
    clients.clear()
    for (const fn of undo.reverse()) fn()
  }
  node.internals.onStop(stop)

  return { coordination: forHolder(node.did), isCoordinator, coordinatorDid, authority, forHolder, releaseHolder: release, stop }
}
