/**
 * Retry policy shared by chain steps and DAG nodes. Pure (types only).
 */
import type { WireError } from '../errors.ts'

/** How often and how patiently a failed step is tried again. */
export interface RetryPolicy {
  /** Attempts in all, including the first (1 = no retry). */
  maxAttempts: number
  /** Delay before the second attempt, in milliseconds. */
  backoffMs: number
  /** Each later delay is the previous one times this. Default 2. */
  backoffMultiplier?: number
  /** Upper bound of any delay. Default 30 000. */
  maxBackoffMs?: number
}

/** No retry unless the spec asks for one; when it does, 100 ms doubling up to 30 s. */
export const DEFAULT_RETRY_POLICY: Readonly<Required<RetryPolicy>> = Object.freeze({
  maxAttempts: 1,
  backoffMs: 100,
  backoffMultiplier: 2,
  maxBackoffMs: 30_000
})

/**
 * Fill a partial policy: fields of `policy` win over `fallback`, which wins
 * over {@link DEFAULT_RETRY_POLICY}. (Step policy over chain policy over defaults.)
 */
export function resolveRetryPolicy (policy?: Partial<RetryPolicy>, fallback?: Partial<RetryPolicy>): Required<RetryPolicy> {
  return { ...DEFAULT_RETRY_POLICY, ...definedFields(fallback), ...definedFields(policy) }
}

function definedFields (policy?: Partial<RetryPolicy>): Partial<RetryPolicy> {
  const out: Partial<RetryPolicy> = {}
  if (policy === undefined) return out
  for (const key of ['maxAttempts', 'backoffMs', 'backoffMultiplier', 'maxBackoffMs'] as const) {
    const value = policy[key]
    if (value !== undefined) out[key] = value
  }
  return out
}

/**
 * Milliseconds to wait after attempt number `attempt` (1-based) failed and
 * before the next one: `backoffMs * multiplier^(attempt-1)`, capped at
 * `maxBackoffMs`. Deterministic (no jitter), so machines stay replayable.
 *
 * @example
 * ```ts
 * backoffDelay({ maxAttempts: 4, backoffMs: 100 }, 3) // 400
 * ```
 */
export function backoffDelay (policy: RetryPolicy, attempt: number): number {
  const multiplier = policy.backoffMultiplier ?? DEFAULT_RETRY_POLICY.backoffMultiplier
  const cap = policy.maxBackoffMs ?? DEFAULT_RETRY_POLICY.maxBackoffMs
  const delay = policy.backoffMs * Math.pow(multiplier, Math.max(0, attempt - 1))
  return Math.max(0, Math.min(cap, delay))
}

const NEVER_RETRYABLE: ReadonlySet<string> = new Set([
  'INVALID_SPEC', 'BUDGET_EXCEEDED', 'MAPPING_FAILED', 'ABORTED', 'CANCELLED', 'INVALID_ARGUMENT'
])

/**
 * Whether a failed attempt may be tried again. Not retryable: a
 * `HANDLER_ERROR` whose `details.retryable === false` (a `TaskError` marked
 * non-retryable), `INVALID_SPEC`, `BUDGET_EXCEEDED`, `MAPPING_FAILED`,
 * `ABORTED`, `CANCELLED`, `INVALID_ARGUMENT`. Everything else (`TIMEOUT`,
 * `NO_AGENT`, `AGENT_NOT_FOUND`, `DELIVERY_FAILED`, `AGENT_STOPPED`, other
 * `HANDLER_ERROR`s, ...) is.
 */
export function isRetryable (error: WireError): boolean {
  if (NEVER_RETRYABLE.has(error.code)) return false
  if (error.code === 'HANDLER_ERROR' && error.details?.retryable === false) return false
  return true
}
