/**
 * createNode: the messaging core of a node plus its service layers
 * (task chains, DAG workflows).
 */
import { createChainService, type ChainService } from '../chains/chain-service.ts'
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
  /** Building blocks for extensions and tests; not a stable API. */
  readonly internals: NodeInternals
}

/**
 * Create and start a node.
 */
export async function createNode (init: NodeInit = {}): Promise<ZeroStateNode> {
  const base = await createBaseNode(init)
  const { host } = base.internals
  const executeStep = createBusStepExecutor(base.bus)
  const chains = createChainService({ host, executeStep, registry: base.registry, logger: base.logger.child({ service: 'chains' }) })
  const dags = createDagService({ host, executeStep, registry: base.registry, logger: base.logger.child({ service: 'dags' }) })
  base.internals.onStop(async () => {
    await Promise.allSettled([chains.stop(), dags.stop()])
  })
  return Object.assign(base, { chains, dags })
}
