import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNode, decodeEnvelope, encodeEnvelope, inboxTopic, BROADCAST_TOPIC, type AgentMessage, type ZeroStateNode } from '../../src/index.ts'
import { metricValue } from '../helpers/mesh.ts'

describe('router input fuzzing', () => {
  let node: ZeroStateNode
  let handled = 0
  let agentId: string

  beforeAll(async () => {
    node = await createNode()
    agentId = (await node.spawnAgent({ name: 'victim', handle: () => { handled++; return 'ok' } })).id
  })
  afterAll(async () => { await node.stop() })

  const dropped = async (): Promise<number> => await metricValue(node, 'zerostate_agent_messages_dropped_total')

  it('never throws, never delivers, and counts arbitrary bytes as drops', async () => {
    const peer = '12D3KooWHFrmLWTTDD4NodngtRMEVYgxrhBxVQHdujDJkSJJfLLZ'
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.boolean(), async (bytes, onInbox) => {
      const before = await dropped()
      expect(() => { node.internals.bridge.ingest(onInbox ? inboxTopic(node.peerId) : BROADCAST_TOPIC, bytes, undefined, peer) }).not.toThrow()
      expect(await dropped()).toBeGreaterThan(before)
      expect(handled).toBe(0)
    }), { numRuns: 300 })
  })

  it('never throws on mutated encodings, and drops every mutation that no longer decodes', async () => {
    const other = await createNode()
    try {
      const valid: AgentMessage = {
        id: 'd'.repeat(32), correlationId: 'd'.repeat(32), type: 'REQUEST', delivery: 'BEST_EFFORT', timestamp: Date.now(),
        ttl: 60_000, priority: 0, from: `${other.did}#sender`, to: agentId, replyTo: `${other.did}#sender`, payload: { x: [1, 2, 3] }
      }
      const encoded = encodeEnvelope(valid, { impliedToNode: node.did })
      await fc.assert(fc.asyncProperty(fc.nat(encoded.length - 1), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const mutated = encoded.slice()
        mutated[at] ^= xor
        const before = await dropped()
        const handledBefore = handled
        // Sent from a peer other than the claimed author: even a valid-looking mutation is never delivered.
        expect(() => { node.internals.bridge.ingest(inboxTopic(node.peerId), mutated, undefined, node.peerId) }).not.toThrow()
        let decodes = true
        try { decodeEnvelope(mutated, { impliedToNode: node.did }) } catch { decodes = false }
        if (!decodes) expect(await dropped()).toBeGreaterThan(before)
        expect(handled).toBe(handledBefore)
      }), { numRuns: 300 })
    } finally {
      await other.stop()
    }
  })
})
