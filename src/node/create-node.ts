/**
 * createNode: one libp2p host + one XState actor system, with its own
 * registry, logger, router, agents and services.
 */
import '../polyfill.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { PrivateKey } from '@libp2p/interface'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { createActor } from 'xstate'
import { GossipBridge, gossipBridgeActor } from '../../actors/gossip-bridge.ts'
import { nodeMachine } from '../../machines/node.ts'
import { routerMachine } from '../../machines/router.ts'
import type { AgentHandle, AgentSpec } from '../agent-types.ts'
import { createAgentMetrics } from '../agents/agent-metrics.ts'
import { createAgentRuntime, type AgentRuntime } from '../agents/agent-runtime.ts'
import { ZeroStateError } from '../errors.ts'
import { AddressBook, agentAddress, didFromPublicKey, isValidAgentName } from '../identity/did.ts'
import { createMessageBus, type CapabilityCaller } from '../messaging/message-bus.ts'
import { createMessagingMetrics } from '../messaging/messaging-metrics.ts'
import { RouterCore } from '../messaging/router-core.ts'
import { createLibp2pHost } from '../net/libp2p-host.ts'
import { BROADCAST_TOPIC, inboxTopic } from '../net/topics.ts'
import { MAX_FRAME_BYTES } from '../envelope/frame.ts'
import { createRootHost } from './root-host.ts'
import type { NodeInit, ZeroStateNodeCore } from './node-types.ts'

/** An agent came or went on this node. */
export type AgentLifecycleEvent =
  | { type: 'spawned', id: string, name: string, spec: AgentSpec, runtime: AgentRuntime }
  | { type: 'stopped', id: string, name: string, reason: 'requested' | 'restart-limit' }

/** Internals the service layers (directory, selection, workflows, coordination) build on. */
export interface NodeInternals {
  /** Listen for agents spawned and stopped on this node. Returns an unsubscribe function. */
  onAgent: (listener: (event: AgentLifecycleEvent) => void) => () => void
  /** The node's private key (signing). */
  privateKey: PrivateKey
  /** The gossipsub bridge (tests feed it raw messages). */
  bridge: GossipBridge
  core: RouterCore
  host: ReturnType<typeof createRootHost>
  addresses: AddressBook
  agents: Map<string, AgentRuntime>
  setCapabilityCaller: (caller: CapabilityCaller) => void
  onStop: (hook: () => Promise<void> | void) => void
  libp2p: Awaited<ReturnType<typeof createLibp2pHost>>
}

/** A node before the service layers are attached. */
export interface BaseNode extends ZeroStateNodeCore {
  readonly internals: NodeInternals
}

/**
 * Create and start the messaging core of a node (libp2p host, router, agents).
 * `createNode` in create-mesh-node.ts adds discovery, workflows and coordination.
 */
export async function createBaseNode (init: NodeInit = {}): Promise<BaseNode> {
  const privateKey = init.privateKey ?? await generateKeyPair('Ed25519')
  const did = didFromPublicKey(privateKey.publicKey.raw)
  const registry = init.registry ?? new Registry()
  const baseLogger = init.logger ?? pino({ level: process.env.ZEROSTATE_LOG_LEVEL ?? 'warn' })
  const signaturePolicy = init.signaturePolicy ?? 'strict-no-sign'
  const libp2p = await createLibp2pHost({
    privateKey,
    listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    signaturePolicy,
    maxMessageBytes: MAX_FRAME_BYTES + 1024
  })
  const peerId = libp2p.peerId.toString()
  const logger = baseLogger.child({ node: peerId })
  const addresses = new AddressBook()
  const metrics = createMessagingMetrics(registry)
  const core = new RouterCore({
    nodeDid: did,
    peerId,
    addresses,
    metrics,
    logger,
    ...(init.retransmit?.initialMs === undefined ? {} : { retransmitInitialMs: init.retransmit.initialMs }),
    ...(init.retransmit?.maxMs === undefined ? {} : { retransmitMaxMs: init.retransmit.maxMs })
  })
  const bridge = new GossipBridge({ host: libp2p, core, addresses, privateKey, signaturePolicy, logger, ...(init.faults === undefined ? {} : { faults: init.faults }) })

  const root = createActor(nodeMachine.provide({
    actions: {
      childFailed: (_, params) => { logger.error({ actor: params.id, err: params.error }, 'actor failed') },
      childFinished: (_, params) => {
        queueMicrotask(() => { if (root.getSnapshot().status === 'active') root.send({ type: 'node.stopChild', id: params.id }) })
      }
    }
  }), { input: { peerId }, ...(init.inspect === undefined ? {} : { inspect: init.inspect }) })
  root.start()
  const host = createRootHost(root, init.inspect)
  const router = host.spawn(routerMachine.provide({ actors: { bridge: gossipBridgeActor(bridge) } }), {
    id: 'router',
    input: { peerId, topics: [inboxTopic(peerId), BROADCAST_TOPIC] }
  })

  const agentMetrics = createAgentMetrics(registry)
  const agents = new Map<string, AgentRuntime>()
  const stopHooks: Array<() => Promise<void> | void> = []
  const agentListeners = new Set<(event: AgentLifecycleEvent) => void>()
  const emitAgent = (event: AgentLifecycleEvent): void => {
    for (const listener of agentListeners) {
      try { listener(event) } catch (err) { logger.warn({ err }, 'agent lifecycle listener threw') }
    }
  }
  let capabilityCaller: CapabilityCaller | undefined
  const byCapability = (): CapabilityCaller | undefined => capabilityCaller
  const bus = createMessageBus({ core, address: did, byCapability })
  let stopped = false

  const spawnAgent = async (spec: AgentSpec): Promise<AgentHandle> => {
    if (stopped) throw new ZeroStateError('NODE_STOPPED', 'the node is stopped')
    if (typeof spec?.name !== 'string' || !isValidAgentName(spec.name) || spec.name.startsWith('_')) {
      throw new ZeroStateError('INVALID_ARGUMENT', `agent names are 1-64 characters of A-Z a-z 0-9 . _ ~ - and do not start with "_" (got "${String(spec?.name)}")`)
    }
    if (core.hasAgent(spec.name)) throw new ZeroStateError('DUPLICATE_AGENT', `an agent named "${spec.name}" already runs on this node`)
    const agentId = agentAddress(did, spec.name)
    const agentBus = createMessageBus({ core, address: agentId, byCapability })
    const runtime = createAgentRuntime(spec, {
      agentId,
      host,
      logger: logger.child({ agent: spec.name }),
      bus: agentBus,
      metrics: agentMetrics,
      reply: (task, result) => { core.replyToTask(agentId, task, result) }
    })
    core.registerAgent(spec.name, runtime)
    agents.set(spec.name, runtime)
    runtime.onStopped(event => {
      core.unregisterAgent(spec.name)
      core.forgetAddress(agentId)
      agents.delete(spec.name)
      emitAgent({ type: 'stopped', id: agentId, name: spec.name, reason: event.reason })
    })
    emitAgent({ type: 'spawned', id: agentId, name: spec.name, spec, runtime })
    logger.debug({ agent: agentId }, 'agent spawned')
    return {
      id: agentId,
      name: spec.name,
      bus: agentBus,
      stop: async options => { await runtime.stop(options) }
    }
  }

  const dial = async (addr: string | Multiaddr, options: { signal?: AbortSignal } = {}): Promise<void> => {
    const target = typeof addr === 'string' ? multiaddr(addr) : addr
    await libp2p.dial(target, options.signal === undefined ? {} : { signal: options.signal })
  }

  for (const addr of init.bootstrap ?? []) {
    try {
      await dial(addr)
    } catch (err) {
      logger.warn({ err, addr }, 'bootstrap dial failed')
    }
  }

  const stop = async (options: { timeout?: number } = {}): Promise<void> => {
    if (stopped) return
    stopped = true
    const timeout = options.timeout ?? 5000
    for (const hook of [...stopHooks].reverse()) {
      try { await hook() } catch (err) { logger.warn({ err }, 'stop hook failed') }
    }
    await Promise.allSettled([...agents.values()].map(async a => { await a.stop({ timeout }) }))
    // Answers given while stopping (agents' last replies, coordination waiters told the authority goes) leave first.
    await bridge.drain(Math.min(timeout, 1000))
    router.send({ type: 'router.stop' })
    core.stop()
    root.stop()
    await libp2p.stop()
  }

  return {
    peerId,
    did,
    get multiaddrs () { return libp2p.getMultiaddrs() },
    registry,
    logger,
    bus,
    dial,
    spawnAgent,
    metrics: async () => await registry.metrics(),
    stop,
    internals: {
      onAgent: listener => { agentListeners.add(listener); return () => { agentListeners.delete(listener) } },
      privateKey,
      bridge,
      core,
      host,
      addresses,
      agents,
      libp2p,
      setCapabilityCaller: caller => { capabilityCaller = caller },
      onStop: hook => { stopHooks.push(hook) }
    }
  }
}
