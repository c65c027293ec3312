import { describe, expect, it } from 'vitest'
import { parseChain } from '../../src/chains/parse-chain.ts'
import { isZeroStateError, type InvalidSpecError } from '../../src/errors.ts'
import { DEFAULT_RETRY_POLICY } from '../../src/workflow/retry-policy.ts'

function issuesOf (spec: unknown): Array<{ path: string, message: string }> {
  try {
    parseChain(spec as Record<string, unknown>)
  } catch (err) {
    expect(isZeroStateError(err, 'INVALID_SPEC')).toBe(true)
    return [...(err as InvalidSpecError).issues]
  }
  throw new Error('expected INVALID_SPEC')
}

const seedJson = JSON.stringify({
  name: 'image-pipeline',
  user_id: 'user-1',
  total_budget: 10,
  retry: { max_attempts: 2, backoff: '1s' },
  steps: [
    { name: 'upload', agent_id: 'did:key:z6Mk#uploader', task_type: 'upload', input: { file: 'cat.png' }, timeout: 5000 },
    { name: 'resize', capabilities: ['resize'], task_type: 'resize', input_mapping: { upload_url: 'url' }, input: { width: 256 }, timeout: '15s', budget: 2 },
    { name: 'compress', capabilities: ['compress'], task_type: 'compress', input_mapping: { 'resize.url': 'url' }, retry: { max_retries: 0 } },
    { name: 'notify', agent_id: 'did:key:z6Mk#notifier', task_type: 'notify', condition: 'on_failure' },
    { name: 'cleanup', agent_id: 'did:key:z6Mk#cleaner', task_type: 'cleanup', condition: 'always', timeout_ms: 250 }
  ]
})

describe('parseChain', () => {
  it('accepts the seed snake_case JSON string and normalises it', () => {
    const plan = parseChain(seedJson)
    expect(plan).toMatchObject({ name: 'image-pipeline', userId: 'user-1', totalBudget: 10 })
    expect(plan.steps.map(s => [s.id, s.condition, s.timeoutMs])).toEqual([
      ['upload', 'on_success', 5000], ['resize', 'on_success', 15_000], ['compress', 'on_success', undefined],
      ['notify', 'on_failure', undefined], ['cleanup', 'always', 250]
    ])
    expect(plan.steps[1]).toMatchObject({ capabilities: ['resize'], taskType: 'resize', input: { width: 256 }, inputMapping: { upload_url: 'url' }, budget: 2 })
    expect(plan.steps[0]?.retry).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 2, backoffMs: 1000 })
    expect(plan.steps[2]?.retry.maxAttempts).toBe(1)
  })

  it('accepts a camelCase object and gives steps their name as id', () => {
    const plan = parseChain({ id: 'c1', steps: [{ name: 'a', agentId: 'x', taskType: 't', inputMapping: { v: 'w' } }, { id: 'b', agentId: 'x', taskType: 't' }] })
    expect(plan).toMatchObject({ id: 'c1', name: 'c1' })
    expect(plan.steps.map(s => [s.id, s.name])).toEqual([['a', 'a'], ['b', 'b']])
    expect(plan.steps[0]?.input).toEqual({})
  })

  it('rejects invalid JSON', () => {
    expect(issuesOf('{ nope')[0]).toMatchObject({ path: '(root)', message: expect.stringContaining('not valid JSON') })
  })

  it('rejects a non-object and missing or empty steps', () => {
    expect(issuesOf([])).toEqual([{ path: '(root)', message: 'must be an object' }])
    expect(issuesOf({ name: 'c' })).toEqual([{ path: 'steps', message: 'is required' }])
    expect(issuesOf({ name: 'c', steps: [] })).toEqual([{ path: 'steps', message: 'must not be empty' }])
  })

  it('reports every problem with its path in one error', () => {
    const issues = issuesOf({
      name: 'c',
      total_budget: -1,
      colour: 'blue',
      steps: [
        { name: 'a', task_type: 't' },
        { name: 'b', agent_id: 'x', task_type: 't', budget: -2, timeout: 'soon', condition: 'sometimes', extra: 1 },
        { agent_id: 'x' },
        'nope'
      ]
    })
    expect(issues).toEqual(expect.arrayContaining([
      { path: 'total_budget', message: 'must not be negative' },
      { path: 'colour', message: 'unknown field' },
      { path: 'steps[0]', message: 'needs an agent_id or capabilities' },
      { path: 'steps[1].budget', message: 'must not be negative' },
      { path: 'steps[1].timeout', message: expect.stringContaining('not a duration') },
      { path: 'steps[1].condition', message: expect.stringContaining('on_success') },
      { path: 'steps[1].extra', message: 'unknown field' },
      { path: 'steps[2].name', message: expect.stringContaining('required') },
      { path: 'steps[2].taskType', message: 'is required' },
      { path: 'steps[3]', message: 'must be an object' }
    ]))
    expect(issues).toHaveLength(10)
  })

  it('rejects duplicate step ids and names', () => {
    expect(issuesOf({ name: 'c', steps: [{ name: 'a', agent_id: 'x', task_type: 't' }, { name: 'a', agent_id: 'x', task_type: 't' }] }))
      .toEqual([{ path: 'steps[1].name', message: 'duplicate step id "a" (also steps[0])' }])
    expect(issuesOf({ name: 'c', steps: [{ id: 'a', name: 'n', agent_id: 'x', task_type: 't' }, { id: 'b', name: 'n', agent_id: 'x', task_type: 't' }] }))
      .toEqual([{ path: 'steps[1].name', message: 'duplicate step name "n" (also steps[0])' }])
    expect(issuesOf({ name: 'c', steps: [{ id: 'a', agent_id: 'x', task_type: 't' }, { id: 'a', name: 'z', agent_id: 'x', task_type: 't' }] }))
      .toEqual([{ path: 'steps[1].id', message: 'duplicate step id "a" (also steps[0])' }])
  })

  it('rejects a mapping that names this step or a later one', () => {
    const issues = issuesOf({
      name: 'c',
      steps: [
        { name: 'a', agent_id: 'x', task_type: 't', input_mapping: { 'b.url': 'url' } },
        { name: 'b', agent_id: 'x', task_type: 't', input_mapping: { 'b.url': 'url', 'a.url': 'other' } }
      ]
    })
    expect(issues).toEqual([
      { path: 'steps[0].input_mapping.b.url', message: 'names the later step "b"; a mapping reads earlier steps only' },
      { path: 'steps[1].input_mapping.b.url', message: 'names this step "b"; a mapping reads earlier steps only' }
    ])
  })

  it('rejects ids with dots, bad capabilities and bad retry policies', () => {
    const issues = issuesOf({
      name: 'c',
      steps: [{ id: 'a.b', capabilities: [], task_type: 't', retry: { max_attempts: 0 } }]
    })
    expect(issues.map(i => i.path)).toEqual(['steps[0].id', 'steps[0].capabilities', 'steps[0].retry.max_attempts'])
  })
})
