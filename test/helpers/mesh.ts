/**
 * Test helper: n real nodes on 127.0.0.1 (port 0), fully connected, each
 * having seen every other node's inbox subscription.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { afterAll, vi } from 'vitest'
import { createNode, inboxTopic, type NodeInit, type ZeroStateNode } from '../../src/index.ts'

export async function startMesh (n: number, init: NodeInit | ((i: number) => NodeInit) = {}): Promise<ZeroStateNode[]> {
  const nodes: ZeroStateNode[] = []
  for (let i = 0; i < n; i++) nodes.push(await createNode(typeof init === 'function' ? init(i) : init))
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) await nodes[i]!.dial(nodes[j]!.multiaddrs[0]!)
  }
  await vi.waitFor(() => {
    for (const a of nodes) {
      for (const b of nodes) {
        if (a === b) continue
        const subs = a.internals.libp2p.services.pubsub.getSubscribers(inboxTopic(b.peerId)).map(p => p.toString())
        if (!subs.includes(b.peerId)) throw new Error(`${a.peerId} has not seen ${b.peerId}'s inbox yet`)
      }
    }
  }, { timeout: 10_000, interval: 20 })
  return nodes
}

export async function stopAll (nodes: ZeroStateNode[]): Promise<void> {
  await Promise.all(nodes.map(async n => { await n.stop({ timeout: 1000 }) }))
}

/** Value of one counter series in the node's Prometheus text. */
export async function metricValue (node: ZeroStateNode, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await node.registry.getSingleMetric(name)?.get()
  if (metric === undefined) return 0
  let total = 0
  for (const v of metric.values) {
    if (Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val)) total += v.value
  }
  return total
}

/**
 * For a test file whose tests start their own meshes: every node started
 * through `mesh` (or pushed into `started`) is stopped after the file.
 */
export function meshesStoppedAfterAll (init: NodeInit = { heartbeatMs: 100 }): { started: ZeroStateNode[], mesh: (n: number) => Promise<ZeroStateNode[]> } {
  const started: ZeroStateNode[] = []
  afterAll(async () => { await stopAll(started) })
  return {
    started,
    mesh: async n => {
      const nodes = await startMesh(n, init)
      started.push(...nodes)
      return nodes
    }
  }
}

/**
 * Two nodes a and b (b with a key of its own, so it can be restarted as the
 * same node) and an echo agent on b that a has reached once.
 */
export async function startEchoPairWithKnownKey (started: ZeroStateNode[]): Promise<{ a: ZeroStateNode, b: ZeroStateNode, key: PrivateKey, spec: { name: string, handle: (t: unknown) => unknown }, agentId: string }> {
  const key = await generateKeyPair('Ed25519')
  const nodes = await startMesh(2, i => ({ heartbeatMs: 100, ...(i === 1 ? { privateKey: key } : {}) }))
  started.push(...nodes)
  const [a, b] = nodes as [ZeroStateNode, ZeroStateNode]
  const spec = { name: 'echo', handle: (t: unknown) => t }
  const agent = await b.spawnAgent(spec)
  if (await a.bus.request(agent.id, 1, { timeout: 2000 }) !== 1) throw new Error('the echo agent did not answer')
  return { a, b, key, spec, agentId: agent.id }
}
