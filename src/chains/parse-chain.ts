/**
 * Validate a chain spec (a TypeScript object or the seed's snake_case JSON)
 * into a {@link ChainPlan}, reporting every problem with its path.
 */
import { resolveRetryPolicy, type RetryPolicy } from '../workflow/retry-policy.ts'
import {
  childPath, createSpecIssues, readBudget, readDuration, readInputMapping, readRecord, readRetryPolicy,
  readSpecId, readSpecObject, readString, readStringArray, specValue, type SpecIssueCollector, type SpecObject
} from '../workflow/spec-issues.ts'
import type { ChainPlan, ChainSpec, ChainStepPlan, StepCondition } from './chain-types.ts'

const CHAIN_FIELDS = ['id', 'name', 'description', 'userId', 'steps', 'totalBudget', 'retry']
const STEP_FIELDS = ['id', 'name', 'agentId', 'capabilities', 'strategy', 'taskType', 'input', 'inputMapping', 'condition', 'timeout', 'budget', 'retry']
const STEP_ALIASES: Readonly<Record<string, string>> = { timeout_ms: 'timeout', timeoutMs: 'timeout' }
const CONDITIONS: readonly StepCondition[] = ['on_success', 'on_failure', 'always']

/**
 * Parse and validate a chain. Accepts a {@link ChainSpec}, the seed's JSON
 * object (`agent_id`, `task_type`, `input_mapping`, `total_budget`, timeouts
 * as milliseconds or `"15s"`), or that JSON as a string.
 *
 * @throws InvalidSpecError (`INVALID_SPEC`) whose `issues` name the path of every problem
 *
 * @example
 * ```ts
 * const plan = parseChain({
 *   name: 'images',
 *   steps: [
 *     { name: 'upload', capabilities: ['upload'], task_type: 'upload', input: { file: 'a.png' } },
 *     { name: 'resize', agent_id: resizerId, task_type: 'resize', input_mapping: { upload_url: 'url' }, timeout: '15s' }
 *   ]
 * })
 * ```
 */
export function parseChain (spec: ChainSpec | string | Record<string, unknown>): ChainPlan {
  const value = specValue(spec)
  const issues = createSpecIssues()
  const chain = readSpecObject(value, '', issues, CHAIN_FIELDS)
  if (chain === undefined) issues.throwIfAny()
  const plan = readChain(chain as SpecObject, issues)
  issues.throwIfAny()
  return plan
}

function readChain (chain: SpecObject, issues: SpecIssueCollector): ChainPlan {
  const id = readSpecId(chain, 'id', issues)
  const name = readString(chain, 'name', issues) ?? id
  if (!chain.has('id') && !chain.has('name')) issues.add('name', 'is required (or give an id)')
  const description = readString(chain, 'description', issues)
  const userId = readString(chain, 'userId', issues)
  const totalBudget = readBudget(chain, 'totalBudget', issues)
  const retry = readRetryPolicy(chain, 'retry', issues)
  const steps = readSteps(chain, retry, issues)
  return {
    ...(id === undefined ? {} : { id }),
    name: name ?? '',
    ...(description === undefined ? {} : { description }),
    ...(userId === undefined ? {} : { userId }),
    steps,
    ...(totalBudget === undefined ? {} : { totalBudget })
  }
}

function readSteps (chain: SpecObject, chainRetry: Partial<RetryPolicy> | undefined, issues: SpecIssueCollector): ChainStepPlan[] {
  const raw = chain.get('steps')
  const path = chain.pathOf('steps')
  if (!chain.has('steps')) {
    issues.add(path, 'is required')
    return []
  }
  if (!Array.isArray(raw)) {
    issues.add(path, 'must be an array')
    return []
  }
  if (raw.length === 0) {
    issues.add(path, 'must not be empty')
    return []
  }
  const entries: StepEntry[] = []
  raw.forEach((item, index) => {
    const obj = readSpecObject(item, childPath(path, index), issues, STEP_FIELDS, STEP_ALIASES)
    if (obj !== undefined) entries.push({ index, obj, plan: readStep(obj, index, chainRetry, issues) })
  })
  checkUnique(entries, issues)
  checkMappings(entries, issues)
  return entries.map(entry => entry.plan)
}

interface StepEntry { index: number, obj: SpecObject, plan: ChainStepPlan }

function readStep (step: SpecObject, index: number, chainRetry: Partial<RetryPolicy> | undefined, issues: SpecIssueCollector): ChainStepPlan {
  const givenId = readSpecId(step, 'id', issues)
  const givenName = readString(step, 'name', issues)
  const id = givenId ?? givenName ?? `step-${index + 1}`
  if (!step.has('id') && !step.has('name')) issues.add(step.pathOf('name'), 'is required (or give an id)')
  if (givenId === undefined && givenName?.includes('.') === true) issues.add(step.pathOf('name'), 'must not contain "." when the step has no id')
  const agentId = readString(step, 'agentId', issues)
  const capabilities = readStringArray(step, 'capabilities', issues, { nonEmpty: true })
  if (!step.has('agentId') && !step.has('capabilities')) issues.add(step.path, 'needs an agent_id or capabilities')
  const strategy = readString(step, 'strategy', issues)
  const taskType = readString(step, 'taskType', issues, { required: true }) ?? ''
  const input = readRecord(step, 'input', issues) ?? {}
  const inputMapping = readInputMapping(step, 'inputMapping', issues)
  const condition = readCondition(step, issues)
  const timeoutMs = readDuration(step, 'timeout', issues, { positive: true })
  const budget = readBudget(step, 'budget', issues)
  const retry = resolveRetryPolicy(readRetryPolicy(step, 'retry', issues), chainRetry)
  return {
    id,
    name: givenName ?? id,
    ...(agentId === undefined ? {} : { agentId }),
    ...(capabilities === undefined ? {} : { capabilities }),
    ...(strategy === undefined ? {} : { strategy }),
    taskType,
    input,
    ...(inputMapping === undefined ? {} : { inputMapping }),
    condition,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(budget === undefined ? {} : { budget }),
    retry
  }
}

function readCondition (step: SpecObject, issues: SpecIssueCollector): StepCondition {
  if (!step.has('condition')) return 'on_success'
  const value = step.get('condition')
  if (CONDITIONS.includes(value as StepCondition)) return value as StepCondition
  issues.add(step.pathOf('condition'), `must be one of ${CONDITIONS.join(', ')}`)
  return 'on_success'
}

function checkUnique (entries: StepEntry[], issues: SpecIssueCollector): void {
  const ids = new Map<string, number>()
  const names = new Map<string, number>()
  for (const { index, obj, plan } of entries) {
    const sameId = ids.get(plan.id)
    if (sameId !== undefined) issues.add(obj.pathOf(obj.has('id') ? 'id' : 'name'), `duplicate step id "${plan.id}" (also steps[${sameId}])`)
    else ids.set(plan.id, index)
    const sameName = names.get(plan.name)
    const reported = sameId !== undefined && plan.id === plan.name
    if (sameName === undefined) names.set(plan.name, index)
    else if (!reported) issues.add(obj.pathOf('name'), `duplicate step name "${plan.name}" (also steps[${sameName}])`)
  }
}

/** A mapping source may name an earlier step, never this one or a later one. */
function checkMappings (entries: StepEntry[], issues: SpecIssueCollector): void {
  const firstIndex = new Map<string, number>()
  entries.forEach(({ plan }, i) => {
    for (const key of [plan.id, plan.name]) if (!firstIndex.has(key)) firstIndex.set(key, i)
  })
  entries.forEach(({ obj, plan }, i) => {
    if (plan.inputMapping === undefined) return
    for (const source of Object.keys(plan.inputMapping)) {
      const head = source.split('.')[0] ?? ''
      const first = firstIndex.get(head)
      if (first === undefined || first < i) continue
      const which = first === i ? `this step "${head}"` : `the later step "${head}"`
      issues.add(childPath(obj.pathOf('inputMapping'), source), `names ${which}; a mapping reads earlier steps only`)
    }
  })
}
