/**
 * Real nodes on 127.0.0.1 with discovery attached, for integration tests and
 * the benchmark. Nodes 2..n dial node 1 only (a star), so everything else
 * has to be learnt from heartbeats.
 */
import { pino } from 'pino'
import { attachDiscovery, type DiscoveryInit, type NodeDiscovery } from '../../src/discovery/attach-discovery.ts'
import { createBaseNode, type BaseNode } from '../../src/node/create-node.ts'

export interface MeshNode {
  base: BaseNode
  discovery: NodeDiscovery
}

/** Start `count` nodes; node 1 first, the others bootstrap from it. */
export async function startMesh (count: number, init: DiscoveryInit = {}): Promise<MeshNode[]> {
  const nodes: MeshNode[] = []
  const logger = pino({ level: process.env.LOG ?? 'silent' })
  try {
    for (let i = 0; i < count; i++) {
      const bootstrap = i === 0 ? [] : nodes[0]!.base.multiaddrs.map(String)
      const base = await createBaseNode({ logger, bootstrap })
      nodes.push({ base, discovery: attachDiscovery(base, { heartbeatMs: 100, ...init }) })
    }
  } catch (err) {
    await stopMesh(nodes)
    throw err
  }
  return nodes
}

export async function stopMesh (nodes: readonly MeshNode[]): Promise<void> {
  await Promise.allSettled(nodes.map(async n => { await n.base.stop({ timeout: 500 }) }))
}
