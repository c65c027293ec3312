/**
 * Graph validation of a DAG spec, with typed errors: an `InvalidSpecError`
 * (code `INVALID_SPEC`) naming each bad node or dependency by path, or a
 * `CycleError` (code `CYCLE`) whose `cycle` lists the node ids in order.
 * O(V+E). Pure (no I/O), so the dag-run machine uses it too.
 */
import { CycleError, InvalidSpecError, type ZeroStateError } from '../errors.ts'
import { analyseDag, type DagGraph, type DagGraphNode, type DagGraphProblem } from '../../machines/dag-graph.ts'

/**
 * The typed error for graph problems found by `analyseDag`.
 *
 * @example
 * ```ts
 * const analysis = analyseDag(spec.nodes)
 * if (!analysis.ok) throw dagGraphError(analysis.problems)
 * ```
 */
export function dagGraphError (problems: readonly DagGraphProblem[]): ZeroStateError {
  const issues: Array<{ path: string, message: string }> = []
  for (const problem of problems) {
    switch (problem.kind) {
      case 'cycle':
        return new CycleError(problem.cycle)
      case 'empty':
        issues.push({ path: 'nodes', message: 'the workflow has no nodes' })
        break
      case 'duplicate-id':
        issues.push({ path: `nodes[${problem.index}].id`, message: `duplicate node id "${problem.id}"` })
        break
      case 'unknown-dependency':
        issues.push({ path: `nodes.${problem.id}.dependencies[${problem.position}]`, message: `unknown dependency "${problem.dependency}"` })
        break
      case 'self-dependency':
        issues.push({ path: `nodes.${problem.id}.dependencies[${problem.position}]`, message: `node "${problem.id}" depends on itself` })
        break
      case 'duplicate-dependency':
        issues.push({ path: `nodes.${problem.id}.dependencies[${problem.position}]`, message: `dependency "${problem.dependency}" is listed twice` })
        break
    }
  }
  return new InvalidSpecError(issues)
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
export function validateDag (nodes: readonly DagGraphNode[]): DagGraph {
  const analysis = analyseDag(nodes)
  if (!analysis.ok) throw dagGraphError(analysis.problems)
  return analysis.graph
}
