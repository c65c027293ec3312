import { describe, expect, it } from 'vitest'
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetryable, resolveRetryPolicy } from '../../src/workflow/retry-policy.ts'

describe('retry policy', () => {
  it('backs off exponentially from the first retry and caps the delay', () => {
    const policy = { maxAttempts: 10, backoffMs: 100, backoffMultiplier: 3, maxBackoffMs: 1000 }
    expect([1, 2, 3, 4].map(a => backoffDelay(policy, a))).toEqual([100, 300, 900, 1000])
  })

  it('doubles by default', () => {
    expect(backoffDelay({ maxAttempts: 3, backoffMs: 50 }, 2)).toBe(100)
  })

  it('resolves step policy over chain policy over defaults', () => {
    expect(resolveRetryPolicy(undefined, undefined)).toEqual(DEFAULT_RETRY_POLICY)
    expect(resolveRetryPolicy({ maxAttempts: 5 }, { maxAttempts: 2, backoffMs: 7 })).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 5, backoffMs: 7 })
    expect(resolveRetryPolicy({ backoffMs: undefined }, { backoffMs: 9 }).backoffMs).toBe(9)
  })

  it('does not retry non-retryable task errors and spec, budget or mapping failures', () => {
    expect(isRetryable({ code: 'HANDLER_ERROR', message: 'x', details: { retryable: false } })).toBe(false)
    for (const code of ['INVALID_SPEC', 'BUDGET_EXCEEDED', 'MAPPING_FAILED', 'CANCELLED', 'ABORTED']) {
      expect(isRetryable({ code, message: 'x' }), code).toBe(false)
    }
  })

  it('retries timeouts, missing or stopped agents, delivery failures and other handler errors', () => {
    for (const code of ['TIMEOUT', 'NO_AGENT', 'AGENT_NOT_FOUND', 'DELIVERY_FAILED', 'AGENT_STOPPED', 'INTERNAL']) {
      expect(isRetryable({ code, message: 'x' }), code).toBe(true)
    }
    expect(isRetryable({ code: 'HANDLER_ERROR', message: 'x', details: { retryable: true } })).toBe(true)
    expect(isRetryable({ code: 'HANDLER_ERROR', message: 'x' })).toBe(true)
  })
})
