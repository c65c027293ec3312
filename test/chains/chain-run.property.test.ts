/**
 * Property: for random chains over agents that randomly succeed or fail with
 * random costs, the chain-run machine agrees with a small reference model of
 * the documented semantics, and never spends more than the total budget.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { TaskError } from '../../src/errors.ts'
import type { ChainStepSpec, StepCondition } from '../../src/chains/chain-types.ts'
import { runToEnd, startChainRun } from './chain-harness.ts'

interface Outcome { ok: boolean, cost: number, retryable: boolean }
interface ModelStep { condition: StepCondition, budget?: number, maxAttempts: number, outcomes: Outcome[] }
interface ModelChain { totalBudget?: number, steps: ModelStep[] }

/** The semantics of docs/TASK_CHAINING.md, written as plainly as possible. */
function model (chain: ModelChain) {
  let healthy = true
  let spent = 0
  const statuses: string[] = []
  const ran: string[] = []
  chain.steps.forEach((step, i) => {
    const runs = step.condition === 'always' || (step.condition === 'on_success') === healthy
    if (!runs) { statuses.push('skipped'); return }
    let grant = step.budget
    if (chain.totalBudget !== undefined) {
      const remaining = chain.totalBudget - spent
      if (remaining <= 0 || (step.budget !== undefined && remaining < step.budget)) {
        statuses.push('failed'); healthy = false; return
      }
      grant = Math.min(step.budget ?? Infinity, remaining)
    }
    let succeeded = false
    for (let attempt = 1; attempt <= step.maxAttempts; attempt++) {
      const outcome = step.outcomes[attempt - 1] as Outcome
      ran.push(`${i}/${attempt}`)
      if (outcome.ok) {
        if (grant !== undefined && outcome.cost > grant) { spent += grant; break }
        spent += outcome.cost; succeeded = true; break
      }
      if (!outcome.retryable) break
    }
    statuses.push(succeeded ? 'succeeded' : 'failed')
    if (!succeeded) healthy = false
    else if (step.condition === 'on_failure') healthy = true
  })
  return { statuses, ran, totalCost: spent, status: healthy ? 'completed' : 'failed' }
}

const outcomeArb = fc.record({ ok: fc.boolean(), cost: fc.integer({ min: 0, max: 6 }), retryable: fc.boolean() })
const stepArb = fc.record({
  condition: fc.constantFrom<StepCondition>('on_success', 'on_failure', 'always'),
  budget: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  outcomes: fc.array(outcomeArb, { minLength: 3, maxLength: 3 })
})
const chainArb = fc.record({
  totalBudget: fc.option(fc.integer({ min: 0, max: 25 }), { nil: undefined }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 7 })
})

describe('chain-run property', () => {
  it('agrees with the reference model on statuses, attempts and total cost, within the total budget', async () => {
    await fc.assert(fc.asyncProperty(chainArb, async chain => {
      const steps: ChainStepSpec[] = chain.steps.map((s, i) => ({
        id: `s${i}`,
        agentId: `did:key:z#a${i}`,
        taskType: 'work',
        condition: s.condition,
        retry: { maxAttempts: s.maxAttempts, backoffMs: 10 },
        ...(s.budget === undefined ? {} : { budget: s.budget })
      }))
      const { actor, clock, attempts } = startChainRun(
        { name: 'prop', steps, ...(chain.totalBudget === undefined ? {} : { totalBudget: chain.totalBudget }) },
        req => {
          const outcome = chain.steps[Number(req.stepId.slice(1))]?.outcomes[req.attempt - 1] as Outcome
          return outcome.ok ? { ok: true, cost: outcome.cost } : { ok: false, error: new TaskError('no', { retryable: outcome.retryable }) }
        }
      )
      const result = await runToEnd(actor, clock)
      const expected = model(chain)
      expect(result.steps.map(s => s.status)).toEqual(expected.statuses)
      expect(attempts.map(a => `${a.request.stepId.slice(1)}/${a.request.attempt}`)).toEqual(expected.ran)
      expect(result.totalCost).toBe(expected.totalCost)
      expect(result.status).toBe(expected.status)
      expect(result.steps.reduce((sum, s) => sum + s.cost, 0)).toBe(result.totalCost)
      if (chain.totalBudget !== undefined) expect(result.totalCost).toBeLessThanOrEqual(chain.totalBudget)
    }), { numRuns: 100 })
  })
})
