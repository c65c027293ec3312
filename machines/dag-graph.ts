/**
 * The graph of a DAG workflow as plain arrays, and the checks run before
 * anything starts: empty workflow, duplicate ids, unknown and self
 * dependencies, and cycles — all in O(V+E). Pure: no imports.
 *
 * Nodes are referred to by their index in the spec's node list. Edges point
 * the way data flows: from a dependency to the node that depends on it.
 */

/** The dependency graph, compact: `dependents` of node `i` are `dependents[dependentsStart[i] .. dependentsStart[i + 1])`. */
export interface DagGraph {
  /** Node ids by index. */
  ids: string[]
  dependentsStart: number[]
  dependents: number[]
  /** Dependencies of node `i` (indices, in spec order): `requires[requiresStart[i] .. requiresStart[i + 1])`. */
  requiresStart: number[]
  requires: number[]
  /** Number of dependencies of each node. */
  indegree: number[]
  /** Whether anything depends on the node (sinks are the nodes without). */
  isSink: boolean[]
}

/** Something that makes a DAG unrunnable, as plain data. */
export type DagGraphProblem =
  | { kind: 'empty' }
  | { kind: 'duplicate-id', index: number, id: string }
  | { kind: 'unknown-dependency', index: number, id: string, position: number, dependency: string }
  | { kind: 'self-dependency', index: number, id: string, position: number }
  | { kind: 'duplicate-dependency', index: number, id: string, position: number, dependency: string }
  | { kind: 'cycle', cycle: string[] }

/** What the graph checks need of a node. */
export interface DagGraphNode {
  id: string
  dependencies?: readonly string[]
}

/** The outcome of {@link analyseDag}: a graph, or the problems found. */
export type DagAnalysis =
  | { ok: true, graph: DagGraph }
  | { ok: false, problems: DagGraphProblem[] }

/**
 * Check a DAG and build its graph. Problems with ids and dependencies are all
 * reported together; the cycle check runs only when there are none (a cycle
 * through an unknown node means nothing).
 *
 * @example
 * ```ts
 * analyseDag([{ id: 'a', dependencies: ['b'] }, { id: 'b', dependencies: ['a'] }])
 * // { ok: false, problems: [{ kind: 'cycle', cycle: ['a', 'b', 'a'] }] }
 * ```
 */
export function analyseDag (nodes: readonly DagGraphNode[]): DagAnalysis {
  if (nodes.length === 0) return { ok: false, problems: [{ kind: 'empty' }] }
  const problems: DagGraphProblem[] = []
  const indexOf = new Map<string, number>()
  const ids: string[] = new Array<string>(nodes.length)
  for (let i = 0; i < nodes.length; i++) {
    const id = (nodes[i] as DagGraphNode).id
    ids[i] = id
    if (indexOf.has(id)) problems.push({ kind: 'duplicate-id', index: i, id })
    else indexOf.set(id, i)
  }

  const indegree: number[] = new Array<number>(nodes.length).fill(0)
  const outdegree: number[] = new Array<number>(nodes.length).fill(0)
  const edgeFrom: number[] = []
  const edgeTo: number[] = []
  const requiresStart: number[] = [0]
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as DagGraphNode
    const deps = node.dependencies ?? []
    const seen = deps.length > 1 ? new Set<string>() : undefined
    for (let p = 0; p < deps.length; p++) {
      const dep = deps[p] as string
      const from = indexOf.get(dep)
      if (dep === node.id) {
        problems.push({ kind: 'self-dependency', index: i, id: node.id, position: p })
      } else if (from === undefined) {
        problems.push({ kind: 'unknown-dependency', index: i, id: node.id, position: p, dependency: dep })
      } else if (seen?.has(dep) === true) {
        problems.push({ kind: 'duplicate-dependency', index: i, id: node.id, position: p, dependency: dep })
      } else {
        seen?.add(dep)
        edgeFrom.push(from)
        edgeTo.push(i)
        indegree[i]++
        outdegree[from]++
      }
    }
    requiresStart.push(edgeFrom.length)
  }
  if (problems.length > 0) return { ok: false, problems }

  const dependentsStart: number[] = new Array<number>(nodes.length + 1)
  dependentsStart[0] = 0
  for (let i = 0; i < nodes.length; i++) dependentsStart[i + 1] = (dependentsStart[i] as number) + (outdegree[i] as number)
  const fill = dependentsStart.slice(0, nodes.length)
  const dependents: number[] = new Array<number>(edgeFrom.length)
  for (let e = 0; e < edgeFrom.length; e++) {
    const from = edgeFrom[e] as number
    dependents[fill[from] as number] = edgeTo[e] as number
    fill[from]++
  }
  const graph: DagGraph = { ids, dependentsStart, dependents, requiresStart, requires: edgeFrom, indegree, isSink: outdegree.map(d => d === 0) }

  const cycle = findCycle(graph)
  if (cycle !== null) return { ok: false, problems: [{ kind: 'cycle', cycle }] }
  return { ok: true, graph }
}

const WHITE = 0
const GREY = 1
const BLACK = 2

/**
 * One cycle of the graph as node ids in the order data flows (each id is a
 * dependency of the next), the first id repeated at the end; `null` when the
 * graph is acyclic. Iterative depth-first search: O(V+E), no recursion, so
 * deep graphs do not overflow the stack.
 */
export function findCycle (graph: Pick<DagGraph, 'ids' | 'dependentsStart' | 'dependents'>): string[] | null {
  const n = graph.ids.length
  const { dependentsStart, dependents } = graph
  const colour = new Uint8Array(n)
  const nextEdge = new Int32Array(n)
  const stack: number[] = []
  const stackPos = new Int32Array(n)
  for (let root = 0; root < n; root++) {
    if (colour[root] !== WHITE) continue
    colour[root] = GREY
    nextEdge[root] = dependentsStart[root] as number
    stackPos[root] = 0
    stack.push(root)
    while (stack.length > 0) {
      const u = stack[stack.length - 1] as number
      if ((nextEdge[u] as number) < (dependentsStart[u + 1] as number)) {
        const v = dependents[nextEdge[u] as number] as number
        nextEdge[u]++
        if (colour[v] === GREY) {
          const path = stack.slice(stackPos[v] as number).map(i => graph.ids[i] as string)
          path.push(graph.ids[v] as string)
          return path
        }
        if (colour[v] === WHITE) {
          colour[v] = GREY
          nextEdge[v] = dependentsStart[v] as number
          stackPos[v] = stack.length
          stack.push(v)
        }
      } else {
        colour[u] = BLACK
        stack.pop()
      }
    }
  }
  return null
}
