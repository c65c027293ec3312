import { describe, expect, it } from 'vitest'
import { isZeroStateError, type InvalidSpecError } from '../../src/errors.ts'
import { parseChain } from '../../src/chains/parse-chain.ts'
import { parseDag } from '../../src/dags/parse-dag.ts'
import { MAX_DURATION_MS, parseDuration, tryParseDuration } from '../../src/workflow/duration.ts'

const agentId = 'did:key:z6MkhbhYEa1YTWa9PWZaX5FfZcVjYCu5uXy3Skp1w2p2ubvx#echo'

function specIssue (fn: () => unknown): { path: string, message: string } | undefined {
  try { fn() } catch (err) {
    expect(isZeroStateError(err, 'INVALID_SPEC')).toBe(true)
    return (err as InvalidSpecError).issues[0]
  }
  return undefined
}

// Node fires a timer longer than 2^31 - 1 ms after 1 ms: such a step timeout
// used to fail its step with TIMEOUT at once instead of waiting.
describe('durations a timer cannot wait', () => {
  it('are not durations: longer than 2^31 - 1 ms as a number or a string', () => {
    expect(tryParseDuration(MAX_DURATION_MS)).toBe(MAX_DURATION_MS)
    expect(tryParseDuration(MAX_DURATION_MS + 1)).toBeUndefined()
    expect(tryParseDuration('1e300')).toBeUndefined()
    expect(tryParseDuration('99999999999999h')).toBeUndefined()
    expect(tryParseDuration('596h')).toBe(596 * 3_600_000)
    expect(tryParseDuration('597h')).toBeUndefined()
    expect(specIssue(() => parseDuration(1e300, 'timeout'))?.message).toMatch(/longer than the most a timer can wait/)
  })

  it('a chain step timeout beyond the limit is an INVALID_SPEC naming the step', () => {
    for (const timeout of [1e300, '99999999999999h', 2 ** 31]) {
      const issue = specIssue(() => parseChain({ name: 'c', steps: [{ name: 's', agent_id: agentId, task_type: 't', timeout }] }))
      expect(issue?.path).toBe('steps[0].timeout')
      expect(issue?.message).toMatch(/longer than the most a timer can wait/)
    }
  })

  it('a DAG workflow timeout, node timeout or retry backoff beyond the limit is an INVALID_SPEC', () => {
    const node = { id: 'n', agent_id: agentId, task_type: 't' }
    expect(specIssue(() => parseDag({ id: 'd', timeout: '1000h', nodes: [node] }))?.path).toBe('timeout')
    expect(specIssue(() => parseDag({ id: 'd', nodes: [{ ...node, timeout: 1e12 }] }))?.path).toBe('nodes[0].timeout')
    expect(specIssue(() => parseDag({ id: 'd', nodes: [{ ...node, retry: { max_attempts: 2, backoff_ms: 1e12 } }] }))?.path).toMatch(/retry/)
  })

  it('a timeout at the limit is accepted', () => {
    const chain = parseChain({ name: 'c', steps: [{ name: 's', agent_id: agentId, task_type: 't', timeout: MAX_DURATION_MS }] })
    expect(chain.steps[0]?.timeoutMs).toBe(MAX_DURATION_MS)
  })
})
