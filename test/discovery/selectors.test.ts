import { describe, expect, it } from 'vitest'
import type { DirectoryEntry } from '../../src/discovery/agent-directory.ts'
import type { AgentLoad } from '../../src/discovery/heartbeat.ts'
import { createSelectorRegistry, firstSelector, leastLoadedSelector, randomSelector, type SelectionContext } from '../../src/discovery/selectors.ts'

function entry (name: string, load: Partial<AgentLoad> = {}): DirectoryEntry {
  return { id: `did:key:zN#${name}`, nodeDid: 'did:key:zN', capabilities: ['c'], load: { running: 0, queued: 0, concurrency: 1, ...load }, lastSeen: 0, local: false }
}

function ctx (random: () => number = () => 0): SelectionContext {
  return { target: { capability: 'c' }, load: c => c.load, random, limitCost: () => {} }
}

describe('built-in selectors', () => {
  it('first picks the first candidate, and none of an empty list', () => {
    expect(firstSelector([entry('a'), entry('b')], ctx())).toMatchObject({ id: 'did:key:zN#a' })
    expect(firstSelector([], ctx())).toBeUndefined()
  })

  it('random picks by the random source over the whole range', () => {
    const candidates = [entry('a'), entry('b'), entry('c')]
    expect(randomSelector(candidates, ctx(() => 0))).toBe(candidates[0])
    expect(randomSelector(candidates, ctx(() => 0.5))).toBe(candidates[1])
    expect(randomSelector(candidates, ctx(() => 0.9999))).toBe(candidates[2])
  })

  it('least-loaded picks the fewest running + queued tasks relative to concurrency', () => {
    const busy = entry('busy', { running: 1, queued: 1, concurrency: 1 })
    const wide = entry('wide', { running: 3, queued: 0, concurrency: 4 })
    const idle = entry('idle', { running: 0, queued: 0, concurrency: 1 })
    expect(leastLoadedSelector([busy, wide], ctx())).toBe(wide)
    expect(leastLoadedSelector([busy, wide, idle], ctx())).toBe(idle)
  })

  it('least-loaded prefers fewer tasks among equal ratios', () => {
    const small = entry('small', { running: 1, concurrency: 2 })
    const big = entry('big', { running: 4, concurrency: 8 })
    expect(leastLoadedSelector([big, small], ctx())).toBe(small)
  })

  it('least-loaded uses the context load estimate, not the entry as announced', () => {
    const a = entry('a')
    const b = entry('b')
    const extra = new Map([[a.id, 2]])
    const context: SelectionContext = { ...ctx(), load: c => ({ ...c.load, queued: extra.get(c.id) ?? 0 }) }
    expect(leastLoadedSelector([a, b], context)).toBe(b)
  })

  it('least-loaded breaks ties at random, so every tied candidate can be chosen', () => {
    const candidates = [entry('a'), entry('b'), entry('c')]
    const picked = new Set<string>()
    let seed = 1
    const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
    for (let i = 0; i < 200; i++) picked.add(leastLoadedSelector(candidates, ctx(random))!.id)
    expect(picked.size).toBe(3)
  })
})

describe('selector registry', () => {
  it('holds the built-ins and registers, replaces and removes custom ones', () => {
    const registry = createSelectorRegistry()
    expect(registry.names().sort()).toEqual(['first', 'least-loaded', 'random'])
    const last = (candidates: readonly DirectoryEntry[]): DirectoryEntry | undefined => candidates.at(-1)
    const off = registry.register('last', last)
    expect(registry.get('last')).toBe(last)
    off()
    expect(registry.get('last')).toBeUndefined()
  })

  it('refuses a selector without a name or that is not a function', () => {
    const registry = createSelectorRegistry()
    expect(() => registry.register('', firstSelector)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => registry.register('x', 42 as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
