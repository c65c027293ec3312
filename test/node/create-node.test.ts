import { describe, expect, it } from 'vitest'
import type { InspectionEvent } from 'xstate'
import { createNode, isZeroStateError } from '../../src/index.ts'

describe('createNode', () => {
  it('gives every node its own identity, registry and actors', async () => {
    const events: InspectionEvent[] = []
    const [a, b] = await Promise.all([createNode({ inspect: e => { events.push(e) } }), createNode()])
    try {
      expect(a.did).toMatch(/^did:key:z6Mk/)
      expect(a.peerId).not.toBe(b.peerId)
      expect(a.registry).not.toBe(b.registry)
      expect(a.multiaddrs[0]?.toString()).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
      const agent = await a.spawnAgent({ name: 'echo', handle: (t: unknown) => t })
      expect(agent.id).toBe(`${a.did}#echo`)
      await a.bus.request(agent.id, 1)
      expect(await a.metrics()).toMatch(/zerostate_agent_messages_sent_total\{type="REQUEST"\} 1/)
      expect(await b.metrics()).not.toMatch(/zerostate_agent_messages_sent_total\{type="REQUEST"\}/)
      // The inspector sees the node's actors: the root, the router and the agent.
      const ids = new Set(events.filter(e => e.type === '@xstate.actor').map(e => (e.actorRef as unknown as { id: string }).id))
      expect(ids).toContain('router')
      expect(ids).toContain(agent.id)
      // b does not know a's agents.
      await expect(b.bus.request(`${b.did}#echo`, 1)).rejects.toSatisfy(e => isZeroStateError(e, 'AGENT_NOT_FOUND'))
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('rejects bad agent specs and duplicate names with typed errors', async () => {
    const node = await createNode()
    try {
      await expect(node.spawnAgent({ name: 'has space', handle: () => 1 })).rejects.toSatisfy(e => isZeroStateError(e, 'INVALID_ARGUMENT'))
      await expect(node.spawnAgent({ name: '_reserved', handle: () => 1 })).rejects.toSatisfy(e => isZeroStateError(e, 'INVALID_ARGUMENT'))
      await node.spawnAgent({ name: 'once', handle: () => 1 })
      await expect(node.spawnAgent({ name: 'once', handle: () => 1 })).rejects.toSatisfy(e => isZeroStateError(e, 'DUPLICATE_AGENT'))
    } finally {
      await node.stop()
    }
  })

  it('rejects an invalid coordinator with a typed error', async () => {
    await expect(createNode({ coordinator: 'not-a-peer' })).rejects.toSatisfy(e => isZeroStateError(e, 'INVALID_ADDRESS'))
  })

  it('rejects work after stop with NODE_STOPPED', async () => {
    const node = await createNode()
    await node.stop()
    await expect(node.bus.request(`${node.did}#x`, 1)).rejects.toSatisfy(e => isZeroStateError(e, 'NODE_STOPPED'))
    await expect(node.spawnAgent({ name: 'late', handle: () => 1 })).rejects.toSatisfy(e => isZeroStateError(e, 'NODE_STOPPED'))
  })
})
