import { describe, expect, it } from 'vitest'
import { parseDag } from '../../src/dags/parse-dag.ts'
import { isZeroStateError, type CycleError, type InvalidSpecError } from '../../src/errors.ts'

function issuesOf (spec: unknown): Array<{ path: string, message: string }> {
  try {
    parseDag(spec as Record<string, unknown>)
  } catch (err) {
    if (isZeroStateError(err, 'INVALID_SPEC')) return [...(err as InvalidSpecError).issues]
    throw err
  }
  throw new Error('expected INVALID_SPEC')
}

const seedJson = JSON.stringify({
  id: 'wf-1',
  user_id: 'user_123',
  name: 'parallel-data-pipeline',
  max_parallelism: 5,
  total_budget: 20,
  timeout: '2m',
  nodes: {
    fetch: { id: 'fetch', name: 'Fetch Data', capabilities: ['data-fetch'], task_type: 'fetch-data', dependencies: [] },
    process_1: { name: 'Process Part 1', capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
    process_2: { name: 'Process Part 2', capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' }, timeout: '15s', budget: 2.5 },
    combine: {
      name: 'Combine Results',
      capabilities: ['data-aggregation'],
      dependencies: ['process_1', 'process_2'],
      input_mapping: { 'process_1.result': 'part1', 'process_2.result': 'part2' },
      retry: { max_attempts: 3, backoff: '250ms' }
    }
  }
})

describe('parseDag', () => {
  it('reads the seed JSON with nodes as a map and snake_case fields', () => {
    const spec = parseDag(seedJson)
    expect(spec).toMatchObject({ id: 'wf-1', userId: 'user_123', name: 'parallel-data-pipeline', maxParallelism: 5, totalBudget: 20, timeout: 120_000 })
    expect(spec.nodes.map(n => n.id)).toEqual(['fetch', 'process_1', 'process_2', 'combine'])
    expect(spec.nodes[0]).toEqual({ id: 'fetch', name: 'Fetch Data', capabilities: ['data-fetch'], taskType: 'fetch-data', dependencies: [] })
    expect(spec.nodes[1]).toMatchObject({ taskType: 'process_1', inputMapping: { 'fetch.data': 'input_data' } })
    expect(spec.nodes[2]).toMatchObject({ timeout: 15_000, budget: 2.5 })
    expect(spec.nodes[3]?.retry).toEqual({ maxAttempts: 3, backoffMs: 250 })
  })

  it('reads nodes as a list with camelCase fields and a failure policy', () => {
    const spec = parseDag({
      name: 'list',
      failurePolicy: 'continue',
      nodes: [{ id: 'a', agentId: 'did:key:z#a', taskType: 'x' }, { id: 'b', agentId: 'did:key:z#b', taskType: 'y', dependencies: ['a'] }]
    })
    expect(spec.failurePolicy).toBe('continue')
    expect(spec.nodes[1]).toEqual({ id: 'b', agentId: 'did:key:z#b', taskType: 'y', dependencies: ['a'] })
  })

  it('names the path of every field problem at once', () => {
    expect(issuesOf({
      name: 'bad',
      max_parallelism: -1,
      total_budget: 1,
      colour: 'red',
      nodes: [
        { id: 'a', task_type: 't' },
        { id: 'b', capabilities: ['c'], budget: 5, timeout: 'soon', input_mapping: { 'z.x': 'k' } },
        { capabilities: ['c'] }
      ]
    })).toEqual([
      { path: 'colour', message: 'unknown field' },
      { path: 'max_parallelism', message: 'must not be negative' },
      { path: 'nodes[0]', message: 'needs an agent_id or capabilities' },
      { path: 'nodes[1].input_mapping.z.x', message: 'reads "z", which is not one of this node\'s dependencies' },
      { path: 'nodes[1].timeout', message: expect.stringContaining('not a duration') },
      { path: 'nodes[1].budget', message: 'exceeds the total budget 1, so the node could never start' },
      { path: 'nodes[2].id', message: 'is required' }
    ])
  })

  it('rejects an empty workflow', () => {
    expect(issuesOf({ name: 'empty', nodes: {} })).toEqual([{ path: 'nodes', message: 'the workflow has no nodes' }])
    expect(issuesOf({ name: 'empty', nodes: [] })).toEqual([{ path: 'nodes', message: 'the workflow has no nodes' }])
  })

  it('rejects unknown, self and duplicate dependencies and duplicate ids with their paths', () => {
    expect(issuesOf({
      name: 'graph',
      nodes: {
        a: { capabilities: ['c'], dependencies: ['ghost'] },
        b: { capabilities: ['c'], depends_on: ['b', 'a', 'a'] }
      }
    })).toEqual([
      { path: 'nodes.a.dependencies[0]', message: 'unknown dependency "ghost"' },
      { path: 'nodes.b.depends_on[0]', message: 'node "b" depends on itself' },
      { path: 'nodes.b.depends_on[2]', message: 'dependency "a" is listed twice' }
    ])
    expect(issuesOf({ name: 'dup', nodes: [{ id: 'a', capabilities: ['c'] }, { id: 'a', capabilities: ['c'] }] }))
      .toEqual([{ path: 'nodes[1].id', message: 'duplicate node id "a"' }])
  })

  it('rejects a cycle with a CycleError listing its path', () => {
    let caught: unknown
    try {
      parseDag({
        name: 'cyc',
        nodes: {
          a: { capabilities: ['c'] },
          b: { capabilities: ['c'], dependencies: ['a', 'd'] },
          c: { capabilities: ['c'], dependencies: ['b'] },
          d: { capabilities: ['c'], dependencies: ['c'] }
        }
      })
    } catch (err) { caught = err }
    expect(isZeroStateError(caught, 'CYCLE')).toBe(true)
    expect((caught as CycleError).cycle).toEqual(['b', 'c', 'd', 'b'])
  })

  it('rejects bad JSON, a node id with a dot, a key that disagrees with its id, and an unknown failure policy', () => {
    expect(issuesOf('{ nope')[0]?.path).toBe('(root)')
    expect(issuesOf({ name: 'x', failure_policy: 'panic', nodes: { 'a.b': { capabilities: ['c'] }, c: { id: 'd', capabilities: ['c'] } } })).toEqual([
      { path: 'failure_policy', message: 'must be one of fail-fast, continue' },
      { path: 'nodes.a.b', message: 'a node id must not contain "."' },
      { path: 'nodes.c.id', message: 'must match its key "c" (or be left out)' }
    ])
  })
})
