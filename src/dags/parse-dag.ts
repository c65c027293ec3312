/**
 * Validate a DAG spec (a TypeScript object or the seed's snake_case JSON)
 * into a {@link DagSpec}, reporting every problem with its path, then check
 * its graph (unknown/self/duplicate dependencies, cycles).
 */
import { CycleError, InvalidSpecError } from '../errors.ts'
import type { RetryPolicy } from '../workflow/retry-policy.ts'
import {
  childPath, createSpecIssues, isPlainObject, readBudget, readDuration, readInputMapping, readNumber, readRecord,
  readRetryPolicy, readSpecId, RESERVED_KEY, readSpecObject, readString, readStringArray, type SpecIssueCollector, type SpecObject
} from '../workflow/spec-issues.ts'
import { analyseDag } from '../../machines/dag-graph.ts'
import { dagGraphIssues } from './validate-dag.ts'
import type { DagFailurePolicy, DagNodeSpec, DagSpec } from './dag-types.ts'

const DAG_FIELDS = ['id', 'name', 'description', 'userId', 'nodes', 'maxParallelism', 'totalBudget', 'timeout', 'failurePolicy', 'retry']
const DAG_ALIASES: Readonly<Record<string, string>> = { timeout_ms: 'timeout', timeoutMs: 'timeout', on_failure: 'failurePolicy', onFailure: 'failurePolicy' }
const NODE_FIELDS = ['id', 'name', 'agentId', 'capabilities', 'strategy', 'taskType', 'input', 'inputMapping', 'dependencies', 'timeout', 'budget', 'retry']
const NODE_ALIASES: Readonly<Record<string, string>> = { timeout_ms: 'timeout', timeoutMs: 'timeout', depends_on: 'dependencies', dependsOn: 'dependencies' }
const POLICIES: readonly DagFailurePolicy[] = ['fail-fast', 'continue']

/** A DAG spec as users may write it: a {@link DagSpec}, the seed's JSON object (nodes as a map or a list), or that JSON as text. */
export type DagSpecInput = DagSpec | Record<string, unknown> | string

/**
 * Parse and validate a DAG workflow. Accepts camelCase or the seed's
 * snake_case (`agent_id`, `task_type`, `input_mapping`, `max_parallelism`,
 * `total_budget`, `timeout` as milliseconds or `"30s"`), `nodes` as a list or
 * as a map from node id to node. A node's `task_type` defaults to its id.
 *
 * @throws InvalidSpecError (`INVALID_SPEC`) whose `issues` name the path of every problem
 * @throws CycleError (`CYCLE`) whose `cycle` lists the node ids in order
 *
 * @example
 * ```ts
 * const spec = parseDag({
 *   name: 'parallel-data-pipeline',
 *   max_parallelism: 5,
 *   nodes: {
 *     fetch: { capabilities: ['data-fetch'], task_type: 'fetch-data' },
 *     process_1: { capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
 *     process_2: { capabilities: ['data-processing'], dependencies: ['fetch'], input_mapping: { 'fetch.data': 'input_data' } },
 *     combine: { capabilities: ['data-aggregation'], dependencies: ['process_1', 'process_2'],
 *       input_mapping: { 'process_1.result': 'part1', 'process_2.result': 'part2' } }
 *   }
 * })
 * ```
 */
export function parseDag (spec: DagSpecInput): DagSpec {
  let value: unknown = spec
  if (typeof spec === 'string') {
    try {
      value = JSON.parse(spec)
    } catch (err) {
      throw new InvalidSpecError([{ path: '(root)', message: `not valid JSON: ${(err as Error).message}` }])
    }
  }
  const issues = createSpecIssues()
  const dag = readSpecObject(value, '', issues, DAG_FIELDS, DAG_ALIASES)
  if (dag === undefined) issues.throwIfAny()
  const parsed = readDag(dag as SpecObject, issues)
  issues.throwIfAny()
  const analysis = analyseDag(parsed.spec.nodes)
  if (!analysis.ok) {
    const cycle = analysis.problems.find(p => p.kind === 'cycle')
    if (cycle !== undefined) throw new CycleError(cycle.cycle)
    throw new InvalidSpecError(dagGraphIssues(analysis.problems, index => parsed.paths[index] as NodePaths))
  }
  return parsed.spec
}

interface NodePaths { id: string, dependencies: string }

function readDag (dag: SpecObject, issues: SpecIssueCollector): { spec: DagSpec, paths: NodePaths[] } {
  const id = readSpecId(dag, 'id', issues)
  const name = readString(dag, 'name', issues) ?? id
  if (name === undefined) issues.add('name', 'is required (or give an id)')
  const description = readString(dag, 'description', issues)
  const userId = readString(dag, 'userId', issues)
  const maxParallelism = readNumber(dag, 'maxParallelism', issues, { min: 0, integer: true })
  const totalBudget = readBudget(dag, 'totalBudget', issues)
  const timeout = readDuration(dag, 'timeout', issues, { positive: true })
  const failurePolicy = readPolicy(dag, issues)
  const retry = readRetryPolicy(dag, 'retry', issues)
  const { nodes, paths } = readNodes(dag, totalBudget, issues)
  const spec: DagSpec = {
    ...(id === undefined ? {} : { id }),
    name: name ?? '',
    ...(description === undefined ? {} : { description }),
    ...(userId === undefined ? {} : { userId }),
    nodes,
    ...(maxParallelism === undefined ? {} : { maxParallelism }),
    ...(totalBudget === undefined ? {} : { totalBudget }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(failurePolicy === undefined ? {} : { failurePolicy }),
    ...(retry === undefined ? {} : { retry })
  }
  return { spec, paths }
}

function readNodes (dag: SpecObject, totalBudget: number | undefined, issues: SpecIssueCollector): { nodes: DagNodeSpec[], paths: NodePaths[] } {
  const nodes: DagNodeSpec[] = []
  const paths: NodePaths[] = []
  const path = dag.pathOf('nodes')
  if (!dag.has('nodes')) {
    issues.add(path, 'is required')
    return { nodes, paths }
  }
  const raw = dag.get('nodes')
  let entries: Array<{ key?: string, value: unknown, path: string }>
  if (Array.isArray(raw)) entries = raw.map((value, index) => ({ value, path: childPath(path, index) }))
  else if (isPlainObject(raw)) entries = Object.entries(raw).map(([key, value]) => ({ key, value, path: childPath(path, key) }))
  else {
    issues.add(path, 'must be a list of nodes or a map from node id to node')
    return { nodes, paths }
  }
  if (entries.length === 0) issues.add(path, 'the workflow has no nodes')
  for (const entry of entries) {
    const obj = readSpecObject(entry.value, entry.path, issues, NODE_FIELDS, NODE_ALIASES)
    if (obj === undefined) continue
    nodes.push(readNode(obj, entry.key, totalBudget, issues))
    paths.push({ id: obj.pathOf('id'), dependencies: obj.pathOf('dependencies') })
  }
  return { nodes, paths }
}

function readNode (node: SpecObject, key: string | undefined, totalBudget: number | undefined, issues: SpecIssueCollector): DagNodeSpec {
  const givenId = readSpecId(node, 'id', issues)
  if (key !== undefined && key.includes('.')) issues.add(node.path, 'a node id must not contain "."')
  if (key === RESERVED_KEY) issues.add(node.path, `"${RESERVED_KEY}" is reserved as a node id`)
  if (key !== undefined && givenId !== undefined && givenId !== key) issues.add(node.pathOf('id'), `must match its key "${key}" (or be left out)`)
  if (key === undefined && givenId === undefined) issues.add(node.pathOf('id'), 'is required')
  const id = key ?? givenId ?? ''
  const name = readString(node, 'name', issues)
  const agentId = readString(node, 'agentId', issues)
  const capabilities = readStringArray(node, 'capabilities', issues, { nonEmpty: true })
  if (!node.has('agentId') && !node.has('capabilities')) issues.add(node.path, 'needs an agent_id or capabilities')
  const strategy = readString(node, 'strategy', issues)
  const taskType = readString(node, 'taskType', issues) ?? id
  const input = readRecord(node, 'input', issues)
  const dependencies = readStringArray(node, 'dependencies', issues)
  const inputMapping = readInputMapping(node, 'inputMapping', issues)
  if (inputMapping !== undefined) checkMapping(node, inputMapping, dependencies ?? [], issues)
  const timeout = readDuration(node, 'timeout', issues, { positive: true })
  const budget = readBudget(node, 'budget', issues)
  if (budget !== undefined && totalBudget !== undefined && budget > totalBudget) {
    issues.add(node.pathOf('budget'), `exceeds the total budget ${totalBudget}, so the node could never start`)
  }
  const retry: Partial<RetryPolicy> | undefined = readRetryPolicy(node, 'retry', issues)
  return {
    id,
    ...(name === undefined ? {} : { name }),
    ...(agentId === undefined ? {} : { agentId }),
    ...(capabilities === undefined ? {} : { capabilities }),
    ...(strategy === undefined ? {} : { strategy }),
    taskType,
    ...(input === undefined ? {} : { input }),
    ...(inputMapping === undefined ? {} : { inputMapping }),
    ...(dependencies === undefined ? {} : { dependencies }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(budget === undefined ? {} : { budget }),
    ...(retry === undefined ? {} : { retry })
  }
}

/** A mapping source is `"<dependency id>"` or `"<dependency id>.<path>"`: it reads a direct dependency's output. */
function checkMapping (node: SpecObject, mapping: Record<string, string>, dependencies: readonly string[], issues: SpecIssueCollector): void {
  for (const source of Object.keys(mapping)) {
    const head = source.split('.')[0] ?? ''
    if (dependencies.includes(head)) continue
    issues.add(childPath(node.pathOf('inputMapping'), source), `reads "${head}", which is not one of this node's dependencies`)
  }
}

function readPolicy (dag: SpecObject, issues: SpecIssueCollector): DagFailurePolicy | undefined {
  if (!dag.has('failurePolicy')) return undefined
  const value = dag.get('failurePolicy')
  const normalised = typeof value === 'string' ? value.replace('_', '-') : value
  if (POLICIES.includes(normalised as DagFailurePolicy)) return normalised as DagFailurePolicy
  issues.add(dag.pathOf('failurePolicy'), `must be one of ${POLICIES.join(', ')}`)
  return undefined
}
