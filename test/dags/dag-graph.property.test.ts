import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { analyseDag, type DagGraphNode } from '../../machines/dag-graph.ts'

/** Reference: Kahn's algorithm — acyclic exactly when every node can be removed in topological order. */
function hasCycleReference (nodes: readonly DagGraphNode[]): boolean {
  const remaining = new Map(nodes.map(n => [n.id, new Set(n.dependencies)]))
  let progress = true
  while (progress) {
    progress = false
    for (const [id, deps] of remaining) {
      if (deps.size > 0) continue
      remaining.delete(id)
      for (const other of remaining.values()) other.delete(id)
      progress = true
    }
  }
  return remaining.size > 0
}

/** A random directed graph on `n` nodes (no self loops, no duplicate edges); ids are listed in a random order. */
const randomGraph = fc.integer({ min: 1, max: 12 }).chain(n => fc.record({
  order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
  // mostly forward edges (acyclic), plus a few arbitrary ones that may close cycles
  forward: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 3 * n }),
  any: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 2 })
}).map(({ order, forward, any }) => {
  const deps: Array<Set<number>> = Array.from({ length: n }, () => new Set<number>())
  for (const [a, b] of forward) if (a < b) deps[b]!.add(a)
  for (const [a, b] of any) if (a !== b) deps[b]!.add(a)
  return order.map(i => ({ id: `n${i}`, dependencies: [...deps[i]!].map(d => `n${d}`) }))
}))

describe('DAG graph validation (property)', () => {
  it('finds a cycle exactly when one exists, and the cycle it reports is real', () => {
    fc.assert(fc.property(randomGraph, nodes => {
      const analysis = analyseDag(nodes)
      expect(!analysis.ok).toBe(hasCycleReference(nodes))
      if (analysis.ok) return
      const problem = analysis.problems[0]
      expect(problem?.kind).toBe('cycle')
      if (problem?.kind !== 'cycle') return
      const { cycle } = problem
      expect(cycle.length).toBeGreaterThanOrEqual(3)
      expect(cycle[0]).toBe(cycle[cycle.length - 1])
      expect(new Set(cycle.slice(0, -1)).size).toBe(cycle.length - 1)
      const byId = new Map(nodes.map(n => [n.id, n]))
      for (let k = 0; k + 1 < cycle.length; k++) {
        // data flows from each id to the next: the next one depends on it
        expect(byId.get(cycle[k + 1]!)?.dependencies).toContain(cycle[k])
      }
    }), { numRuns: 500 })
  })

  it('handles a 30 000-node chain without deep recursion', () => {
    const nodes = Array.from({ length: 30_000 }, (_, i) => ({ id: `n${i}`, dependencies: i === 0 ? [] : [`n${i - 1}`] }))
    expect(analyseDag(nodes).ok).toBe(true)
    nodes[0] = { id: 'n0', dependencies: ['n29999'] }
    const analysis = analyseDag(nodes)
    expect(analysis.ok).toBe(false)
    if (!analysis.ok && analysis.problems[0]?.kind === 'cycle') expect(analysis.problems[0].cycle).toHaveLength(30_001)
  })
})
