/**
 * createNode: the messaging core of a node plus its service layers
 * (task chains, DAG workflows).
 */
import { createChainService, type ChainService } from '../chains/chain-service.ts'
import { attachCoordination } from '../coordination/attach-coordination.ts'
import type { Coordination } from '../coordination/types.ts'
import { attachDiscovery, type NodeDiscovery } from '../discovery/attach-discovery.ts'
import { createDagService, type DagService } from '../dags/dag-service.ts'
import { createBusStepExecutor } from '../workflow/bus-step-executor.ts'
import { createBaseNode, type NodeInternals } from './create-node.ts'
import type { NodeInit, ZeroStateNodeCore } from './node-types.ts'

/**
 * A ZeroState node: messaging, agents, workflows.
 *
 * @example
 * ```ts
 * const node = await createNode({ bootstrap: [peerAddr] })
 * await node.spawnAgent({ name: 'resize', capabilities: ['image-processing'], handle: resize })
 * const result = await node.chains.execute(imagePipeline)
 * ```
 */
export interface ZeroStateNode extends ZeroStateNodeCore {
  /** Sequential workflows. */
  readonly chains: ChainService
  /** Parallel DAG workflows. */
  readonly dags: DagService
  /** Live agents of the whole mesh, by capability. */
  readonly directory: NodeDiscovery['directory']
  /** Run a contract-net auction for a task and execute it on the winner. */
  readonly auction: NodeDiscovery['auction']
  /** Add a custom selection strategy for `bus.request({ capability, strategy })`. */
  readonly registerSelector: NodeDiscovery['registerSelector']
  /** Locks, shared state and barriers, acting as this node. */
  readonly coordination: Coordination
  /** Coordination acting as one of this node's agents (its holdings are released when it stops). */
  coordinationFor: (agentId: string) => Coordination
  /** Building blocks for extensions and tests; not a stable API. */
  readonly internals: NodeInternals
}

/**
 * Create and start a node.
 */
export async function createNode (init: NodeInit = {}): Promise<ZeroStateNode> {
  const base = await createBaseNode(init)
  try {
    return await attachServices(base, init)
  } catch (err) {
    // A bad option (e.g. an invalid coordinator) must not leave a running libp2p host behind.
    await base.stop({ timeout: 0 }).catch(() => {})
    throw err
  }
}

async function attachServices (base: Awaited<ReturnType<typeof createBaseNode>>, init: NodeInit): Promise<ZeroStateNode> {
  const { host } = base.internals
  // Before any agent is spawned, so every agent is announced.
  const discovery = attachDiscovery(base, init.heartbeatMs === undefined ? {} : { heartbeatMs: init.heartbeatMs })
  const executeStep = createBusStepExecutor(base.bus)
  const chains = createChainService({ host, executeStep, registry: base.registry, logger: base.logger.child({ service: 'chains' }) })
  const dags = createDagService({ host, executeStep, registry: base.registry, logger: base.logger.child({ service: 'dags' }) })
  const coordination = attachCoordination(base, init.coordinator === undefined ? {} : { coordinator: init.coordinator })
  if (init.coordinator?.includes('/p2p/') === true && !coordination.isCoordinator) {
    await base.dial(init.coordinator).catch((err: unknown) => { base.logger.warn({ err, coordinator: init.coordinator }, 'could not dial the coordinator') })
  }
  base.internals.onAgent(event => {
    if (event.type !== 'stopped') return
    coordination.releaseHolder(event.id).catch((err: unknown) => { base.logger.debug({ err, agent: event.id }, 'releasing a stopped agent\'s coordination holdings failed') })
  })
  base.internals.onStop(async () => {
    await Promise.allSettled([chains.stop(), dags.stop()])
  })
  return Object.assign(base, {
    chains,
    dags,
    directory: discovery.directory,
    auction: discovery.auction,
    registerSelector: discovery.registerSelector,
    coordination: coordination.coordination,
    coordinationFor: coordination.forHolder
  })
}
