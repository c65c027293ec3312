import { describe, expect, it } from 'vitest'
import { addCharge, settleCost, stepBudgetDecision } from '../../src/workflow/budget.ts'

describe('budget rules', () => {
  it('lets any step start when there is no total budget', () => {
    expect(stepBudgetDecision({ spent: 100 })).toEqual({ ok: true, grant: undefined })
    expect(stepBudgetDecision({ spent: 100, stepBudget: 3 })).toEqual({ ok: true, grant: 3 })
  })

  it('grants the smaller of the step budget and what is left', () => {
    expect(stepBudgetDecision({ totalBudget: 10, spent: 4, stepBudget: 2 })).toEqual({ ok: true, grant: 2 })
    expect(stepBudgetDecision({ totalBudget: 10, spent: 4 })).toEqual({ ok: true, grant: 6 })
  })

  it('grants a budget-less step an equal share of what is left among the budget-less steps starting beside it', () => {
    expect(stepBudgetDecision({ totalBudget: 10, spent: 4, sharers: 3 })).toEqual({ ok: true, grant: 2 })
    expect(stepBudgetDecision({ totalBudget: 10, spent: 4, sharers: 1 })).toEqual({ ok: true, grant: 6 })
    expect(stepBudgetDecision({ totalBudget: 10, spent: 4, stepBudget: 5, sharers: 3 })).toEqual({ ok: true, grant: 5 })
    const third = stepBudgetDecision({ totalBudget: 10, spent: 0, sharers: 3 })
    expect(third.ok && third.grant !== undefined && third.grant * 3 <= 10).toBe(true)
  })

  it('refuses a step whose budget is above what is left', () => {
    expect(stepBudgetDecision({ totalBudget: 10, spent: 8, stepBudget: 5 })).toMatchObject({ ok: false, error: { code: 'BUDGET_EXCEEDED' } })
  })

  it('refuses every step once the total budget is exhausted', () => {
    expect(stepBudgetDecision({ totalBudget: 10, spent: 10, stepBudget: 0 })).toMatchObject({ ok: false, error: { code: 'BUDGET_EXCEEDED' } })
    expect(stepBudgetDecision({ totalBudget: 0, spent: 0 })).toMatchObject({ ok: false })
  })

  it('charges the reported cost within the grant', () => {
    expect(settleCost(5, 3)).toEqual({ charged: 3 })
    expect(settleCost(undefined, 1e9)).toEqual({ charged: 1e9 })
    expect(settleCost(5, -1)).toEqual({ charged: 0 })
  })

  it('fails a cost above the grant with BUDGET_EXCEEDED and charges the grant', () => {
    expect(settleCost(5, 7)).toMatchObject({ charged: 5, error: { code: 'BUDGET_EXCEEDED', details: { cost: 7, budget: 5 } } })
  })

  it('adds a charge without letting floating-point dust pass the total budget, but keeps a real excess', () => {
    expect(0.1 + 0.2).toBeGreaterThan(0.3)
    expect(addCharge(0.1, 0.2, 0.3)).toBe(0.3)
    expect(addCharge(2, 3, undefined)).toBe(5)
    expect(addCharge(2, 3, 10)).toBe(5)
    expect(addCharge(9, 2, 10)).toBe(11)
  })
})

