import { describe, expect, it } from 'vitest'
import {
  camelCase, createSpecIssues, readBudget, readDuration, readInputMapping, readNumber,
  readRecord, readRetryPolicy, readSpecObject, readString, readStringArray
} from '../../src/workflow/spec-issues.ts'
import { isZeroStateError, type InvalidSpecError } from '../../src/errors.ts'

const FIELDS = ['agentId', 'taskType', 'inputMapping', 'totalBudget', 'timeout', 'input', 'capabilities', 'retry', 'count']

describe('spec issue collector', () => {
  it('throws nothing when there are no issues', () => {
    expect(() => createSpecIssues().throwIfAny()).not.toThrow()
  })

  it('throws one INVALID_SPEC error listing every issue with its path', () => {
    const issues = createSpecIssues()
    issues.add('steps', 'must not be empty')
    issues.add('total_budget', 'must not be negative')
    let caught: unknown
    try { issues.throwIfAny() } catch (err) { caught = err }
    expect(isZeroStateError(caught, 'INVALID_SPEC')).toBe(true)
    expect((caught as InvalidSpecError).issues).toEqual([
      { path: 'steps', message: 'must not be empty' },
      { path: 'total_budget', message: 'must not be negative' }
    ])
  })
})

describe('spec field readers', () => {
  it('converts snake_case names to camelCase', () => {
    expect(camelCase('agent_id')).toBe('agentId')
    expect(camelCase('max_parallelism')).toBe('maxParallelism')
    expect(camelCase('taskType')).toBe('taskType')
  })

  it('reads snake_case and camelCase spellings under one name', () => {
    const issues = createSpecIssues()
    const obj = readSpecObject({ agent_id: 'a', taskType: 't', total_budget: 5 }, 'steps[0]', issues, FIELDS)
    expect(obj).toBeDefined()
    expect(readString(obj!, 'agentId', issues)).toBe('a')
    expect(readString(obj!, 'taskType', issues)).toBe('t')
    expect(readBudget(obj!, 'totalBudget', issues)).toBe(5)
    expect(obj!.pathOf('agentId')).toBe('steps[0].agent_id')
    expect(issues.issues).toEqual([])
  })

  it('rejects unknown fields and fields given twice, with their paths', () => {
    const issues = createSpecIssues()
    readSpecObject({ agent_id: 'a', agentId: 'b', colour: 'red' }, 'steps[1]', issues, FIELDS)
    expect(issues.issues.map(i => i.path).sort()).toEqual(['steps[1].agentId', 'steps[1].colour'])
  })

  it('rejects a non-object', () => {
    const issues = createSpecIssues()
    expect(readSpecObject([1], 'steps[0]', issues, FIELDS)).toBeUndefined()
    expect(issues.issues).toEqual([{ path: 'steps[0]', message: 'must be an object' }])
  })

  it('reports missing required fields, wrong types, negative budgets and bad durations', () => {
    const issues = createSpecIssues()
    const obj = readSpecObject({ agent_id: '', total_budget: -1, timeout: 'soon', input: 3, capabilities: ['x', 2], count: 1.5 }, 's', issues, FIELDS)!
    expect(readString(obj, 'taskType', issues, { required: true })).toBeUndefined()
    expect(readString(obj, 'agentId', issues)).toBeUndefined()
    expect(readBudget(obj, 'totalBudget', issues)).toBeUndefined()
    expect(readDuration(obj, 'timeout', issues)).toBeUndefined()
    expect(readRecord(obj, 'input', issues)).toBeUndefined()
    expect(readStringArray(obj, 'capabilities', issues)).toBeUndefined()
    expect(readNumber(obj, 'count', issues, { integer: true })).toBeUndefined()
    expect(issues.issues).toEqual([
      { path: 's.taskType', message: 'is required' },
      { path: 's.agent_id', message: 'must be a non-empty string' },
      { path: 's.total_budget', message: 'must not be negative' },
      { path: 's.timeout', message: expect.stringContaining('not a duration') },
      { path: 's.input', message: 'must be an object' },
      { path: 's.capabilities[1]', message: 'must be a non-empty string' },
      { path: 's.count', message: 'must be an integer' }
    ])
  })

  it('reads durations as milliseconds or strings', () => {
    const issues = createSpecIssues()
    const obj = readSpecObject({ timeout: '15s' }, '', issues, FIELDS)!
    expect(readDuration(obj, 'timeout', issues)).toBe(15_000)
  })

  it('reads input mappings and rejects an input key filled twice', () => {
    const issues = createSpecIssues()
    const good = readSpecObject({ input_mapping: { upload_url: 'url', 'resize.size': 'size' } }, '', issues, FIELDS)!
    expect(readInputMapping(good, 'inputMapping', issues)).toEqual({ upload_url: 'url', 'resize.size': 'size' })
    const bad = readSpecObject({ input_mapping: { a: 'x', b: 'x', 'c..d': 'y', e: 5 } }, 'steps[2]', issues, FIELDS)!
    expect(readInputMapping(bad, 'inputMapping', issues)).toBeUndefined()
    expect(issues.issues.map(i => i.path)).toEqual(['steps[2].input_mapping.b', 'steps[2].input_mapping.c..d', 'steps[2].input_mapping.e'])
  })

  it('reads retry policies in both spellings', () => {
    const issues = createSpecIssues()
    const snake = readSpecObject({ retry: { max_attempts: 3, backoff: '1s', backoff_multiplier: 1.5, max_backoff: '10s' } }, '', issues, FIELDS)!
    expect(readRetryPolicy(snake, 'retry', issues)).toEqual({ maxAttempts: 3, backoffMs: 1000, backoffMultiplier: 1.5, maxBackoffMs: 10_000 })
    const camel = readSpecObject({ retry: { maxRetries: 2, backoffMs: 20 } }, '', issues, FIELDS)!
    expect(readRetryPolicy(camel, 'retry', issues)).toEqual({ maxAttempts: 3, backoffMs: 20 })
    expect(issues.issues).toEqual([])
  })

  it('rejects bad retry policies', () => {
    const issues = createSpecIssues()
    const obj = readSpecObject({ retry: { max_attempts: 0, jitter: true } }, 'steps[0]', issues, FIELDS)!
    readRetryPolicy(obj, 'retry', issues)
    expect(issues.issues.map(i => i.path).sort()).toEqual(['steps[0].retry.jitter', 'steps[0].retry.max_attempts'])
  })
})
