import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import { createNode, type ZeroStateNode } from '../../src/index.ts'
import { startEchoPairWithKnownKey, startMesh, stopAll } from '../helpers/mesh.ts'

const started: ZeroStateNode[] = []
afterAll(async () => { await stopAll(started) })

const idOf = (n: number): string => n.toString(16).padStart(32, '0')

describe('a node restarted with the same identity', () => {
  it('is reached again at its new address; an EXACTLY_ONCE request id it answered before it restarted runs again (its dedup cache died with it)', async () => {
    const key = await generateKeyPair('Ed25519')
    const nodes = await startMesh(3, i => ({ heartbeatMs: 100, ...(i === 1 ? { privateKey: key } : {}) }))
    started.push(...nodes)
    const [a, b, c] = nodes as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
    let runs = 0
    const spec = { name: 'count', capabilities: ['count'], handle: () => ++runs }
    const agent = await b.spawnAgent(spec)
    await vi.waitFor(() => { expect(a.directory.get(agent.id)).toBeDefined() })
    const options = { timeout: 2000, delivery: 'EXACTLY_ONCE' as const, id: idOf(1) }
    expect(await a.bus.request(agent.id, null, options)).toBe(1)
    expect(await a.bus.request(agent.id, null, options)).toBe(1) // answered from the dedup cache
    const oldPort = b.multiaddrs[0]!.toString()

    await b.stop({ timeout: 200 })
    await vi.waitFor(() => { expect(a.directory.get(agent.id)).toBeUndefined() })
    // Back with the same key on a new port; it only knows c, a learns the new address from its heartbeats.
    const b2 = await createNode({ privateKey: key, heartbeatMs: 100, bootstrap: c.multiaddrs.map(String) })
    started.push(b2)
    expect(b2.did).toBe(b.did)
    expect(b2.multiaddrs[0]!.toString()).not.toBe(oldPort)
    const again = await b2.spawnAgent(spec)
    expect(again.id).toBe(agent.id)
    await vi.waitFor(() => { expect(a.directory.get(agent.id)).toBeDefined() }, { timeout: 3000 })

    expect(await a.bus.request(agent.id, null, { ...options, id: idOf(2) })).toBe(2)
    expect(await a.bus.request(agent.id, null, options)).toBe(3) // same id as before the restart: runs again
    expect(await a.bus.request({ capability: 'count' }, null, { timeout: 2000 })).toBe(4)
    expect(await c.bus.request(agent.id, null, { timeout: 2000 })).toBe(5)
  })

  it('an EXACTLY_ONCE request whose node crashed under it is answered by the restarted node (retransmits reach it)', async () => {
    const key = await generateKeyPair('Ed25519')
    let crashed = false
    const nodes = await startMesh(3, i => ({ heartbeatMs: 100, retransmit: { initialMs: 50, maxMs: 200 }, ...(i === 1 ? { privateKey: key, faults: { outbound: () => crashed ? 'drop' : 'deliver' } } : {}) }))
    started.push(...nodes)
    const [a, b, c] = nodes as [ZeroStateNode, ZeroStateNode, ZeroStateNode]
    const hang = await b.spawnAgent({ name: 'work', handle: async () => await new Promise(() => {}) })
    const pending = a.bus.request(hang.id, 'job', { timeout: 5000, delivery: 'EXACTLY_ONCE' })
    await vi.waitFor(() => { expect(b.internals.agents.get('work')).toBeDefined() })
    await new Promise(resolve => { setTimeout(resolve, 100) })
    crashed = true // b dies without a word: its AGENT_STOPPED answer never leaves
    await b.stop({ timeout: 0 })
    const meanwhile = await a.bus.request(hang.id, 'other', { timeout: 300 }).catch((err: unknown) => err)
    expect(isZeroStateError(meanwhile) ? meanwhile.code : meanwhile).toMatch(/^(TIMEOUT|DELIVERY_FAILED)$/)
    const b2 = await createNode({ privateKey: key, heartbeatMs: 100, bootstrap: c.multiaddrs.map(String) })
    started.push(b2)
    await b2.spawnAgent({ name: 'work', handle: (t: unknown) => `done ${String(t)}` })
    expect(await pending).toBe('done job')
  })

  it('is reached by a node that only has its old address in the peer store once it dials back', async () => {
    const { a, b, key, spec, agentId } = await startEchoPairWithKnownKey(started)
    const agent = { id: agentId }
    await b.stop({ timeout: 200 })
    const b2 = await createNode({ privateKey: key, heartbeatMs: 100, bootstrap: a.multiaddrs.map(String) })
    started.push(b2)
    await b2.spawnAgent(spec)
    expect(await a.bus.request(agent.id, 2, { timeout: 3000 })).toBe(2)
  })
})
