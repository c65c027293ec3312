import { describe, expect, it } from 'vitest'
import type { ZeroStateNode } from '../../src/index.ts'
import { startMesh, stopAll } from '../helpers/mesh.ts'

describe('node.stop', () => {
  it('delivers the answers its agents give while it stops, even several in one turn', async () => {
    const nodes = await startMesh(2)
    const [a, b] = nodes as [ZeroStateNode, ZeroStateNode]
    try {
      let release!: () => void
      const gate = new Promise<void>(resolve => { release = resolve })
      let started = 0
      const worker = await b.spawnAgent({ name: 'worker', concurrency: 3, handle: async (n: number) => { started++; await gate; return n * 10 } })
      const calls = [1, 2, 3].map(async n => await a.bus.request(worker.id, n, { timeout: 10_000 }))
      while (started < 3) await new Promise(resolve => setImmediate(resolve))
      const stopping = b.stop({ timeout: 5_000 })
      release()
      await stopping
      // All three answers were given in the same turn; none may be lost to the shutdown.
      expect(await Promise.all(calls)).toEqual([10, 20, 30])
    } finally {
      await stopAll(nodes)
    }
  })
})
