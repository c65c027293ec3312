/**
 * Budget rules shared by chains and DAGs. Pure (types only).
 *
 * - A run may have a total budget; the costs its steps are charged add up.
 * - A step is not started when the run's budget is exhausted (nothing left),
 *   or when what is left is below the step's own budget.
 * - A started step is granted `min(step budget, what is left)`; an agent that
 *   reports more than its grant fails the step with `BUDGET_EXCEEDED` and the
 *   step is charged its grant (the most it was allowed to spend), so the total
 *   charged never exceeds the total budget.
 *
 * DAGs that start several steps at once pass, as `spent`, the costs charged
 * plus the grants of the steps still running.
 */
import type { WireError } from '../errors.ts'

/** May the step start, and with which grant (`undefined` = unlimited). */
export type BudgetDecision =
  | { ok: true, grant: number | undefined }
  | { ok: false, error: WireError & { code: 'BUDGET_EXCEEDED' } }

/** What a finished attempt is charged. */
export interface CostSettlement {
  charged: number
  /** Set when the reported cost exceeded the grant. */
  error?: WireError & { code: 'BUDGET_EXCEEDED' }
}

/**
 * Decide whether a step may start, and with which grant.
 *
 * @example
 * ```ts
 * stepBudgetDecision({ totalBudget: 10, spent: 8, stepBudget: 5 })
 * // { ok: false, error: { code: 'BUDGET_EXCEEDED', ... } }
 * stepBudgetDecision({ totalBudget: 10, spent: 4, sharers: 3 })
 * // { ok: true, grant: 2 }: three budget-less nodes wait to start
 * ```
 */
export function stepBudgetDecision (options: { totalBudget?: number, spent: number, stepBudget?: number, sharers?: number }): BudgetDecision {
  const { totalBudget, spent, stepBudget } = options
  if (totalBudget === undefined) return { ok: true, grant: stepBudget }
  const remaining = totalBudget - spent
  if (remaining <= 0) {
    return { ok: false, error: { code: 'BUDGET_EXCEEDED', message: `not started: the total budget ${totalBudget} is exhausted`, details: { totalBudget, spent } } }
  }
  if (stepBudget !== undefined && remaining < stepBudget) {
    return { ok: false, error: { code: 'BUDGET_EXCEEDED', message: `not started: remaining budget ${remaining} is below the step budget ${stepBudget}`, details: { totalBudget, spent, stepBudget } } }
  }
  if (stepBudget !== undefined) return { ok: true, grant: Math.min(stepBudget, remaining) }
  const sharers = options.sharers !== undefined && options.sharers > 1 ? Math.floor(options.sharers) : 1
  const share = remaining / sharers
  // shares are rounded down so that `sharers` grants never add up to more than what is left
  return { ok: true, grant: share * sharers > remaining ? share * (1 - Number.EPSILON) : share }
}

/**
 * Settle a reported cost against the step's grant. Negative or non-finite
 * costs count as 0.
 *
 * @example
 * ```ts
 * settleCost(5, 7) // { charged: 5, error: { code: 'BUDGET_EXCEEDED', ... } }
 * ```
 */
export function settleCost (grant: number | undefined, reportedCost: number): CostSettlement {
  const cost = Number.isFinite(reportedCost) && reportedCost > 0 ? reportedCost : 0
  if (grant === undefined || cost <= grant) return { charged: cost }
  return {
    charged: grant,
    error: { code: 'BUDGET_EXCEEDED', message: `reported cost ${cost} exceeds the step budget ${grant}`, details: { cost, budget: grant } }
  }
}

/**
 * The run's spending after charging `charged`. Every charge is at most its
 * grant and grants never add up to more than what was left, so the sum can
 * pass the total only by floating-point dust (fractional shares added in
 * another order than they were taken): that dust is dropped, keeping
 * "charged ≤ total budget" exact. A larger excess is kept, so a bug shows.
 *
 * @example
 * ```ts
 * addCharge(0.1, 0.2, 0.3) // 0.3, not 0.30000000000000004
 * ```
 */
export function addCharge (spent: number, charged: number, totalBudget: number | undefined): number {
  const sum = spent + charged
  if (totalBudget === undefined || sum <= totalBudget) return sum
  return sum - totalBudget <= Math.max(totalBudget, 1) * 1e-9 ? totalBudget : sum
}
