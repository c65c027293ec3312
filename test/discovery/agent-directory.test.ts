import { describe, expect, it } from 'vitest'
import { DirectoryTable, type DirectoryChange } from '../../src/discovery/agent-directory.ts'
import type { AnnouncedAgent, HeartbeatPayload } from '../../src/discovery/heartbeat.ts'

const A = 'did:key:z6MkNodeA'
const B = 'did:key:z6MkNodeB'

function agent (node: string, name: string, capabilities: string[], running = 0): AnnouncedAgent {
  return { id: `${node}#${name}`, capabilities, load: { running, queued: 0, concurrency: 1 } }
}

function hb (node: string, seq: number, agents: AnnouncedAgent[], extra: Partial<HeartbeatPayload> = {}): HeartbeatPayload {
  return { nodeDid: node, seq, intervalMs: 100, addrs: [], agents, ...extra }
}

function setup (): { table: DirectoryTable, changes: DirectoryChange[] } {
  const table = new DirectoryTable({ missedHeartbeats: 3 })
  const changes: DirectoryChange[] = []
  table.on('change', change => { changes.push(change) })
  return { table, changes }
}

describe('DirectoryTable', () => {
  it('lists the agents of a heartbeat and finds them by capability', () => {
    const { table } = setup()
    table.apply(hb(A, 1, [agent(A, 'x', ['ocr', 'pdf']), agent(A, 'y', ['pdf'])]), 1000, false)
    table.apply(hb(B, 1, [agent(B, 'z', ['ocr'])]), 1000, false)
    expect(table.find('pdf').map(e => e.id)).toEqual([`${A}#x`, `${A}#y`])
    expect(table.find('ocr').map(e => e.id)).toEqual([`${A}#x`, `${B}#z`])
    expect(table.find('nothing')).toEqual([])
    expect(table.get(`${B}#z`)).toEqual({ id: `${B}#z`, nodeDid: B, capabilities: ['ocr'], load: { running: 0, queued: 0, concurrency: 1 }, lastSeen: 1000, local: false })
    expect(table.list()).toHaveLength(3)
    expect(table.size).toBe(3)
    expect(table.nodeCount).toBe(2)
  })

  it('an agent missing from a newer heartbeat of its node is removed', () => {
    const { table, changes } = setup()
    table.apply(hb(A, 1, [agent(A, 'x', ['a']), agent(A, 'y', ['a'])]), 1000, false)
    table.apply(hb(A, 2, [agent(A, 'y', ['a'])]), 1100, false)
    expect(table.find('a').map(e => e.id)).toEqual([`${A}#y`])
    expect(changes.map(c => `${c.type} ${c.entry.id}`)).toEqual([`added ${A}#x`, `added ${A}#y`, `removed ${A}#x`])
  })

  it('ignores a heartbeat older than one already applied', () => {
    const { table } = setup()
    table.apply(hb(A, 5, [agent(A, 'x', ['a'])]), 1000, false)
    expect(table.apply(hb(A, 4, []), 1100, false)).toEqual({ applied: false })
    expect(table.apply(hb(A, 5, []), 1100, false)).toEqual({ applied: false })
    expect(table.find('a')).toHaveLength(1)
  })

  it('reports updated only when capabilities, load or price change', () => {
    const { table, changes } = setup()
    table.apply(hb(A, 1, [agent(A, 'x', ['a'])]), 1000, false)
    table.apply(hb(A, 2, [agent(A, 'x', ['a'])]), 1100, false)
    expect(table.get(`${A}#x`)?.lastSeen).toBe(1100)
    table.apply(hb(A, 3, [agent(A, 'x', ['a'], 1)]), 1200, false)
    table.apply(hb(A, 4, [agent(A, 'x', ['b'], 1)]), 1300, false)
    table.apply(hb(A, 5, [{ ...agent(A, 'x', ['b'], 1), price: 2 }]), 1400, false)
    expect(changes.map(c => c.type)).toEqual(['added', 'updated', 'updated', 'updated'])
    expect(table.find('a')).toEqual([])
    expect(table.find('b').map(e => e.price)).toEqual([2])
  })

  it('a goodbye removes all the agents of its node at once', () => {
    const { table, changes } = setup()
    table.apply(hb(A, 1, [agent(A, 'x', ['a']), agent(A, 'y', ['a'])]), 1000, false)
    table.apply(hb(A, 2, [], { bye: true }), 1050, false)
    expect(table.size).toBe(0)
    expect(table.nodeCount).toBe(0)
    expect(changes.filter(c => c.type === 'removed')).toHaveLength(2)
    // a heartbeat sent before the goodbye and delivered after it is stale
    expect(table.apply(hb(A, 1, [agent(A, 'x', ['a'])]), 1060, false).applied).toBe(false)
  })

  it('expires the agents of a node after missedHeartbeats intervals without a heartbeat', () => {
    const { table } = setup()
    table.apply(hb(A, 1, [agent(A, 'x', ['a'])]), 1000, false)
    table.apply(hb(B, 1, [agent(B, 'y', ['a'])], { intervalMs: 1000 }), 1000, false)
    expect(table.expire(1299)).toBe(0)
    expect(table.expire(1300)).toBe(1)
    expect(table.find('a').map(e => e.id)).toEqual([`${B}#y`])
    table.apply(hb(B, 2, [agent(B, 'y', ['a'])], { intervalMs: 1000 }), 3500, false)
    expect(table.expire(6000)).toBe(0)
    expect(table.expire(6500)).toBe(1)
    expect(table.size).toBe(0)
  })

  it('remove drops one agent and clear drops all, each with a removed event', () => {
    const { table, changes } = setup()
    table.apply(hb(A, 1, [agent(A, 'x', ['a']), agent(A, 'y', ['b'])]), 1000, true)
    expect(table.get(`${A}#x`)?.local).toBe(true)
    expect(table.remove(`${A}#x`)).toBe(true)
    expect(table.remove(`${A}#x`)).toBe(false)
    table.clear()
    expect(table.size).toBe(0)
    expect(changes.map(c => c.type)).toEqual(['added', 'added', 'removed', 'removed'])
  })

  it('a throwing listener neither breaks the table nor other listeners', () => {
    const errors: unknown[] = []
    const table = new DirectoryTable({ missedHeartbeats: 3, onListenerError: err => { errors.push(err) } })
    const seen: string[] = []
    const off = table.on('change', () => { throw new Error('listener bug') })
    table.on('change', change => { seen.push(change.type) })
    table.apply(hb(A, 1, [agent(A, 'x', ['a'])]), 1000, false)
    off()
    table.remove(`${A}#x`)
    expect(seen).toEqual(['added', 'removed'])
    expect(errors).toHaveLength(1)
  })
})
