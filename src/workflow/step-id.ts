/**
 * Deterministic message ids for workflow steps (DESIGN.md §7): the same
 * (run, step, attempt) always gives the same id, so a resumed run that
 * re-sends a step is answered from the EXACTLY_ONCE cache.
 */
import { createHash } from 'node:crypto'

/**
 * A 32-lowercase-hex message id derived from the run id, step id and attempt.
 *
 * @example
 * ```ts
 * await bus.request(agentId, task, { id: stepMessageId(runId, 'resize', 1), delivery: 'EXACTLY_ONCE' })
 * ```
 */
export function stepMessageId (runId: string, stepId: string, attempt: number): string {
  return createHash('sha256')
    .update(JSON.stringify([runId, stepId, attempt]))
    .digest('hex')
    .slice(0, 32)
}
