/**
 * The public shape of a node and its options.
 */
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PrivateKey } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { InspectionEvent, Observer } from 'xstate'
import type { AgentHandle, AgentSpec } from '../agent-types.ts'
import type { MessageBus } from '../bus-types.ts'
import type { FaultInjector } from '../../actors/gossip-bridge.ts'
import type { SignaturePolicy } from '../net/libp2p-host.ts'

/**
 * Options of {@link createNode}. Every field is optional.
 */
export interface NodeInit {
  /** Multiaddrs to listen on. Default `['/ip4/127.0.0.1/tcp/0']`. */
  listen?: string[]
  /** Multiaddrs (with `/p2p/<peerId>`) dialled at start. */
  bootstrap?: string[]
  /** The node's identity. Default: a fresh Ed25519 key. */
  privateKey?: PrivateKey
  /** A pino logger; the node logs through a child with its peer id. Default: pino at `ZEROSTATE_LOG_LEVEL` or `warn`. */
  logger?: Logger
  /** The node's own prom-client registry. Default: a new one. */
  registry?: Registry
  /** XState inspection observer, applied to every actor of the node. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
  /** Gossipsub signature policy of the mesh (all nodes must agree). Default `strict-no-sign`. */
  signaturePolicy?: SignaturePolicy
  /** Heartbeat (agent announcement) interval, ms. Default 1000. */
  heartbeatMs?: number
  /** Peer id, DID or multiaddr of the coordination authority. Default: this node. */
  coordinator?: string
  /** Test/chaos hook on outgoing direct messages. */
  faults?: FaultInjector
  /** Timing of AT_LEAST_ONCE/EXACTLY_ONCE retransmits. */
  retransmit?: { initialMs?: number, maxMs?: number }
}

/**
 * One ZeroState node: a libp2p host plus one XState actor system.
 *
 * @example
 * ```ts
 * const node = await createNode()
 * const echo = await node.spawnAgent({ name: 'echo', capabilities: ['echo'], handle: task => task })
 * const answer = await node.bus.request(echo.id, { hello: 'mesh' }) // { hello: 'mesh' }
 * await node.stop()
 * ```
 */
export interface ZeroStateNodeCore {
  /** libp2p PeerId string. */
  readonly peerId: string
  /** `did:key:` of the node key. */
  readonly did: string
  /** Addresses others can dial (with `/p2p/<peerId>`). */
  readonly multiaddrs: Multiaddr[]
  /** The node's own metrics registry. */
  readonly registry: Registry
  /** The node's logger. */
  readonly logger: Logger
  /** Bus sending as the node itself. */
  readonly bus: MessageBus
  /** Connect to another node. */
  dial: (addr: string | Multiaddr, options?: { signal?: AbortSignal }) => Promise<void>
  /** Start a supervised agent on this node. */
  spawnAgent: (spec: AgentSpec) => Promise<AgentHandle>
  /** Prometheus text of the node's registry. */
  metrics: () => Promise<string>
  /** Stop agents (in-flight tasks get `timeout` ms to finish), the router and libp2p. */
  stop: (options?: { timeout?: number }) => Promise<void>
}
