import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { DagFailurePolicy, DagNodeStatus, DagSpec } from '../../src/dags/dag-types.ts'
import { runToEnd, startDagRun, type AttemptRecord, type NodeBehaviour } from './dag-harness.ts'

interface Scenario {
  spec: DagSpec
  behaviour: Record<string, NodeBehaviour>
  maxAttempts: number
}

/** Random acyclic DAGs (edges from lower to higher labels, listed in a random order) with random node behaviour. */
const scenario: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 10 }).chain(n => fc.record({
  order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
  edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 2 * n }),
  behaviour: fc.array(fc.record({
    duration: fc.integer({ min: 1, max: 12 }),
    failures: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 2 }), fc.constant(Infinity)),
    retryable: fc.boolean(),
    cost: fc.integer({ min: 0, max: 3 })
  }), { minLength: n, maxLength: n }),
  maxParallelism: fc.integer({ min: 0, max: 4 }),
  failurePolicy: fc.constantFrom<DagFailurePolicy>('fail-fast', 'continue'),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  backoffMs: fc.integer({ min: 0, max: 5 })
}).map(({ order, edges, behaviour, maxParallelism, failurePolicy, maxAttempts, backoffMs }) => {
  const deps: Array<Set<number>> = Array.from({ length: n }, () => new Set<number>())
  for (const [a, b] of edges) if (a < b) deps[b]!.add(a)
  const spec: DagSpec = {
    name: 'random',
    maxParallelism,
    failurePolicy,
    retry: { maxAttempts, backoffMs },
    nodes: order.map(i => ({ id: `n${i}`, taskType: 't', dependencies: [...deps[i]!].map(d => `n${d}`) }))
  }
  return { spec, behaviour: Object.fromEntries(behaviour.map((b, i) => [`n${i}`, b])), maxAttempts }
}))

/** What the `continue` policy must produce: a node runs iff all its dependencies succeeded; it then succeeds iff its failures fit in its attempts. */
function referenceContinue ({ spec, behaviour, maxAttempts }: Scenario): Map<string, { status: DagNodeStatus, attempts: number }> {
  const expected = new Map<string, { status: DagNodeStatus, attempts: number }>()
  const byId = new Map(spec.nodes.map(node => [node.id, node]))
  const visit = (id: string): { status: DagNodeStatus, attempts: number } => {
    const known = expected.get(id)
    if (known !== undefined) return known
    const deps = (byId.get(id)?.dependencies ?? []).map(visit)
    let outcome: { status: DagNodeStatus, attempts: number }
    if (deps.some(d => d.status !== 'succeeded')) {
      outcome = { status: 'skipped', attempts: 0 }
    } else {
      const b = behaviour[id]!
      const failures = b.failures ?? 0
      const allowed = failures > 0 && b.retryable === false ? 1 : maxAttempts
      outcome = failures < allowed ? { status: 'succeeded', attempts: failures + 1 } : { status: 'failed', attempts: allowed }
    }
    expected.set(id, outcome)
    return outcome
  }
  spec.nodes.forEach(node => visit(node.id))
  return expected
}

function lastSuccess (attempts: AttemptRecord[], nodeId: string): AttemptRecord | undefined {
  return attempts.find(a => a.nodeId === nodeId && a.outcome === 'succeeded')
}

describe('dag-run (property)', () => {
  it('respects dependencies, maxParallelism and the failure policy on random DAGs', async () => {
    await fc.assert(fc.asyncProperty(scenario, async sc => {
      const { spec, behaviour } = sc
      const { actor, clock, fake } = startDagRun(spec, id => behaviour[id]!)
      const result = await runToEnd(actor, clock)
      const limit = spec.maxParallelism === 0 ? Infinity : spec.maxParallelism!
      const byId = new Map(spec.nodes.map(node => [node.id, node]))

      // no node starts before all its dependencies succeeded
      for (const attempt of fake.attempts) {
        for (const dep of byId.get(attempt.nodeId)?.dependencies ?? []) {
          const done = lastSuccess(fake.attempts, dep)
          expect(done, `${attempt.nodeId} started before ${dep} succeeded`).toBeDefined()
          expect(done!.end!).toBeLessThanOrEqual(attempt.start)
        }
      }
      // concurrency never exceeds maxParallelism
      expect(fake.maxRunning).toBeLessThanOrEqual(limit)
      // the run counts a node running from its start until it has taken the answer in; answers that
      // arrive at the same simulated instant are taken in one by one, so the run's count may be higher
      expect(result.maxParallelismObserved).toBeGreaterThanOrEqual(fake.maxRunning)
      expect(result.maxParallelismObserved).toBeLessThanOrEqual(limit)
      expect(fake.running).toBe(0)

      // every node ends in exactly one terminal status, agreeing with what ran
      expect(Object.keys(result.nodes).sort()).toEqual(spec.nodes.map(n => n.id).sort())
      for (const [id, node] of Object.entries(result.nodes)) {
        const mine = fake.attempts.filter(a => a.nodeId === id)
        expect(node.attempts).toBe(mine.length)
        // a cancelled node's agent may have finished at the very instant the run halted; its answer is not taken
        if (node.status !== 'cancelled') expect(node.status === 'succeeded').toBe(lastSuccess(fake.attempts, id) !== undefined)
        if (node.status === 'skipped') expect(mine).toHaveLength(0)
      }
      const costOfSuccesses = fake.attempts.filter(a => a.outcome === 'succeeded' && result.nodes[a.nodeId]?.status === 'succeeded').reduce((sum, a) => sum + (behaviour[a.nodeId]!.cost ?? 0), 0)
      expect(result.totalCost).toBe(costOfSuccesses)

      const reference = referenceContinue(sc)
      const anyFailure = [...reference.values()].some(r => r.status === 'failed')
      if (spec.failurePolicy === 'continue' || !anyFailure) {
        for (const [id, expected] of reference) expect(result.nodes[id], id).toMatchObject(expected)
        expect(result.status).toBe(anyFailure ? 'failed' : 'completed')
        return
      }
      // fail-fast with a failure: exactly one node failed, nothing started after it, what was running was cancelled
      expect(result.status).toBe('failed')
      const failed = Object.entries(result.nodes).filter(([, n]) => n.status === 'failed')
      expect(failed).toHaveLength(1)
      const [failedId] = failed[0]!
      expect(result.error).toMatchObject({ code: 'STEP_FAILED', details: { nodeId: failedId } })
      const failedAt = Math.max(...fake.attempts.filter(a => a.nodeId === failedId).map(a => a.end!))
      for (const attempt of fake.attempts) expect(attempt.start).toBeLessThanOrEqual(failedAt)
      for (const [id, node] of Object.entries(result.nodes)) {
        if (node.status === 'cancelled') {
          expect(node.attempts).toBeGreaterThan(0)
          expect(lastSuccess(fake.attempts, id)?.end ?? failedAt).toBe(failedAt)
        }
      }
      for (const attempt of fake.attempts) if (attempt.outcome === 'aborted') expect(result.nodes[attempt.nodeId]?.status).toBe('cancelled')
    }), { numRuns: 120 })
  })

  it('never spends more than the total budget', async () => {
    const budgeted = fc.record({
      costs: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 8 }),
      budgets: fc.array(fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }), { minLength: 8, maxLength: 8 }),
      totalBudget: fc.integer({ min: 0, max: 15 }),
      maxParallelism: fc.integer({ min: 0, max: 3 })
    })
    await fc.assert(fc.asyncProperty(budgeted, async ({ costs, budgets, totalBudget, maxParallelism }) => {
      const spec: DagSpec = {
        name: 'budget',
        totalBudget,
        maxParallelism,
        failurePolicy: 'continue',
        nodes: costs.map((_, i) => {
          const budget = budgets[i]
          return budget === undefined || budget > totalBudget ? { id: `n${i}`, taskType: 't' } : { id: `n${i}`, taskType: 't', budget }
        })
      }
      const { actor, clock, fake } = startDagRun(spec, id => ({ duration: 3, cost: costs[Number(id.slice(1))] ?? 0 }))
      const result = await runToEnd(actor, clock)
      expect(result.totalCost).toBeLessThanOrEqual(totalBudget)
      for (const attempt of fake.attempts) expect(attempt.request.budget).toBeDefined()
      for (const node of Object.values(result.nodes)) expect(['succeeded', 'failed']).toContain(node.status)
    }), { numRuns: 80 })
  })

  it('independent budget-less nodes under a total budget run side by side, and within it', async () => {
    const wide = fc.record({
      durations: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 8 }),
      totalBudget: fc.integer({ min: 1, max: 40 }),
      maxParallelism: fc.integer({ min: 0, max: 4 }),
      spend: fc.double({ min: 0, max: 0.99, noNaN: true })
    })
    await fc.assert(fc.asyncProperty(wide, async ({ durations, totalBudget, maxParallelism, spend }) => {
      const n = durations.length
      const slots = maxParallelism === 0 ? n : Math.min(maxParallelism, n)
      // each node spends at most its fair share: n nodes waiting with B left are each granted at least B/n
      const cost = spend * totalBudget / n
      const spec: DagSpec = { name: 'wide', totalBudget, maxParallelism, nodes: durations.map((_, i) => ({ id: `n${i}`, taskType: 't' })) }
      const { actor, clock, fake } = startDagRun(spec, id => ({ duration: durations[Number(id.slice(1))] ?? 1, cost }))
      const result = await runToEnd(actor, clock)
      expect(result.status).toBe('completed')
      expect(result.totalCost).toBeLessThanOrEqual(totalBudget)
      expect(result.maxParallelismObserved).toBe(slots)
      expect(fake.maxRunning).toBe(slots)
      expect(fake.attempts.filter(a => a.start === 0)).toHaveLength(slots)
    }), { numRuns: 80 })
  })
})
