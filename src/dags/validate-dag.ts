/**
 * Graph validation of a DAG spec, with typed errors: an `InvalidSpecError`
 * (code `INVALID_SPEC`) naming each bad node or dependency by path, or a
 * `CycleError` (code `CYCLE`) whose `cycle` lists the node ids in order.
 * O(V+E). Pure (no I/O), so the dag-run machine uses it too.
 */
import { CycleError, InvalidSpecError, type ZeroStateError } from '../errors.ts'
import { analyseDag, type DagGraph, type DagGraphNode, type DagGraphProblem } from '../../machines/dag-graph.ts'

/** Where a node's `id` and `dependencies` sit in the spec, for issue paths. */
export type DagNodePaths = (index: number) => { id: string, dependencies: string }

const listPaths: DagNodePaths = index => ({ id: `nodes[${index}].id`, dependencies: `nodes[${index}].dependencies` })

/** The `{ path, message }` issues for graph problems other than a cycle. */
export function dagGraphIssues (problems: readonly DagGraphProblem[], paths: DagNodePaths = listPaths): Array<{ path: string, message: string }> {
  const issues: Array<{ path: string, message: string }> = []
  for (const problem of problems) {
    switch (problem.kind) {
      case 'empty':
        issues.push({ path: 'nodes', message: 'the workflow has no nodes' })
        break
      case 'duplicate-id':
        issues.push({ path: paths(problem.index).id, message: `duplicate node id "${problem.id}"` })
        break
      case 'unknown-dependency':
        issues.push({ path: `${paths(problem.index).dependencies}[${problem.position}]`, message: `unknown dependency "${problem.dependency}"` })
        break
      case 'self-dependency':
        issues.push({ path: `${paths(problem.index).dependencies}[${problem.position}]`, message: `node "${problem.id}" depends on itself` })
        break
      case 'duplicate-dependency':
        issues.push({ path: `${paths(problem.index).dependencies}[${problem.position}]`, message: `dependency "${problem.dependency}" is listed twice` })
        break
      case 'cycle':
        break
    }
  }
  return issues
}

/**
 * The typed error for graph problems found by `analyseDag`.
 *
 * @example
 * ```ts
 * const analysis = analyseDag(spec.nodes)
 * if (!analysis.ok) throw dagGraphError(analysis.problems)
 * ```
 */
export function dagGraphError (problems: readonly DagGraphProblem[], paths?: DagNodePaths): ZeroStateError {
  const cycle = problems.find(p => p.kind === 'cycle')
  if (cycle !== undefined) return new CycleError(cycle.cycle)
  return new InvalidSpecError(dagGraphIssues(problems, paths))
}

/**
 * Check the graph of a DAG and return it: no empty workflow, no duplicate
 * ids, no unknown or self dependencies, no cycle.
 *
 * @throws InvalidSpecError listing every id and dependency problem
 * @throws CycleError with the cycle's node ids in order
 *
 * @example
 * ```ts
 * try { validateDag(spec.nodes) }
 * catch (err) { if (isZeroStateError(err, 'CYCLE')) console.error((err as CycleError).cycle) }
 * ```
 */
export function validateDag (nodes: readonly DagGraphNode[], paths?: DagNodePaths): DagGraph {
  const analysis = analyseDag(nodes)
  if (!analysis.ok) throw dagGraphError(analysis.problems, paths)
  return analysis.graph
}
