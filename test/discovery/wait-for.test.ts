import { describe, expect, it } from 'vitest'
import { createNode, isZeroStateError } from '../../src/index.ts'

describe('directory.waitFor', () => {
  it('resolves once another node announces an agent with the capability, long before the next heartbeat tick', async () => {
    const a = await createNode({ heartbeatMs: 60_000 })
    const b = await createNode({ heartbeatMs: 60_000, bootstrap: a.multiaddrs.map(String) })
    try {
      const agent = await b.spawnAgent({ name: 'ocr', capabilities: ['ocr'], handle: (t: unknown) => t })
      // With a one-minute interval, only the announcements on spawn and on a new subscriber can get it there in time.
      const entry = await a.directory.waitFor('ocr', { timeout: 5_000 })
      expect(entry.id).toBe(agent.id)
      await expect(a.bus.request({ capability: 'ocr' }, 'page')).resolves.toBe('page')
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('rejects with NO_AGENT when none appears in time, and with ABORTED when aborted', async () => {
    const node = await createNode()
    try {
      await expect(node.directory.waitFor('nothing', { timeout: 50 })).rejects.toSatisfy(e => isZeroStateError(e, 'NO_AGENT'))
      const controller = new AbortController()
      const waiting = node.directory.waitFor('nothing', { signal: controller.signal })
      controller.abort()
      await expect(waiting).rejects.toSatisfy(e => isZeroStateError(e, 'ABORTED'))
    } finally {
      await node.stop()
    }
  })
})
