import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { dagRunMachine } from '../../machines/dag-run.ts'
import type { DagSpec } from '../../src/dags/dag-types.ts'
import { flush, restoreDagRun, runToEnd, startDagRun, type NodeBehaviour } from './dag-harness.ts'

const diamond: DagSpec = {
  name: 'diamond',
  nodes: [
    { id: 'fetch', taskType: 'fetch-data', capabilities: ['data-fetch'], input: { url: 'u' } },
    { id: 'process_1', taskType: 'process', capabilities: ['data-processing'], dependencies: ['fetch'], inputMapping: { 'fetch.data': 'input_data' } },
    { id: 'process_2', taskType: 'process', capabilities: ['data-processing'], dependencies: ['fetch'], inputMapping: { 'fetch.data': 'input_data' } },
    {
      id: 'combine',
      taskType: 'combine',
      capabilities: ['data-aggregation'],
      dependencies: ['process_1', 'process_2'],
      inputMapping: { 'process_1.result': 'part1', 'process_2.result': 'part2' }
    }
  ]
}

const diamondBehaviour = (id: string): NodeBehaviour => ({
  fetch: { duration: 10, output: { data: [1, 2, 3] }, cost: 1 },
  process_1: { duration: 20, output: { result: 'p1' }, cost: 2 },
  process_2: { duration: 30, output: { result: 'p2' }, cost: 3 },
  combine: { duration: 5, output: { combined: true }, cost: 4 }
}[id] ?? { duration: 1 })

describe('dag-run machine', () => {
  it('runs the diamond: fan-out in parallel, fan-in with mapped inputs, sink outputs and total cost', async () => {
    const { actor, clock, fake } = startDagRun(diamond, diamondBehaviour)
    const result = await runToEnd(actor, clock)
    expect(result.status).toBe('completed')
    expect(result.totalCost).toBe(10)
    expect(result.maxParallelismObserved).toBe(2)
    expect(result.outputs).toEqual({ combine: { combined: true } })
    expect(Object.values(result.nodes).map(n => n.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded'])
    expect(result.nodes.process_2).toMatchObject({ agentId: 'agent-of-process_2', cost: 3, attempts: 1, startedAt: 10, finishedAt: 40 })
    const byNode = new Map(fake.attempts.map(a => [a.nodeId, a]))
    expect(byNode.get('process_1')?.input).toEqual({ input_data: [1, 2, 3] })
    expect(byNode.get('combine')?.input).toEqual({ part1: 'p1', part2: 'p2' })
    expect(byNode.get('combine')?.start).toBe(40)
    expect(byNode.get('fetch')?.request).toMatchObject({ runId: 'run-1', stepId: 'fetch', attempt: 1, capabilities: ['data-fetch'], taskType: 'fetch-data', input: { url: 'u' } })
  })

  it('walks the state chart validating -> running -> completed', async () => {
    const { actor, clock } = startDagRun(diamond, diamondBehaviour)
    const seen: string[] = [String(actor.getSnapshot().value)]
    actor.subscribe(s => { if (seen[seen.length - 1] !== s.value) seen.push(String(s.value)) })
    await runToEnd(actor, clock)
    expect(seen).toEqual(['running', 'completed'])
  })

  it('never runs more than maxParallelism nodes at once and starts ready nodes in spec order', async () => {
    const nodes = Array.from({ length: 6 }, (_, i) => ({ id: `n${i}`, taskType: 't' }))
    const { actor, clock, fake } = startDagRun({ name: 'wide', maxParallelism: 2, nodes }, () => ({ duration: 10 }))
    const result = await runToEnd(actor, clock)
    expect(result.status).toBe('completed')
    expect(fake.maxRunning).toBe(2)
    expect(result.maxParallelismObserved).toBe(2)
    expect(fake.attempts.map(a => [a.nodeId, a.start])).toEqual([['n0', 0], ['n1', 0], ['n2', 10], ['n3', 10], ['n4', 20], ['n5', 20]])
  })

  it('fail-fast: a failure aborts running nodes (cancelled) and skips the rest', async () => {
    const spec: DagSpec = {
      name: 'ff',
      nodes: [
        { id: 'bad', taskType: 't' },
        { id: 'slow', taskType: 't' },
        { id: 'after', taskType: 't', dependencies: ['bad'] },
        { id: 'later', taskType: 't', dependencies: ['slow'] }
      ]
    }
    const { actor, clock, fake } = startDagRun(spec, id => id === 'bad' ? { duration: 5, failures: Infinity } : { duration: 50 })
    const result = await runToEnd(actor, clock)
    expect(result.status).toBe('failed')
    expect(result.error).toMatchObject({ code: 'STEP_FAILED', details: { nodeId: 'bad' } })
    expect(result.nodes.bad).toMatchObject({ status: 'failed', error: { code: 'HANDLER_ERROR' }, attempts: 1 })
    expect(result.nodes.slow).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } })
    expect(result.nodes.after?.status).toBe('skipped')
    expect(result.nodes.later?.status).toBe('skipped')
    expect(fake.attempts.find(a => a.nodeId === 'slow')?.outcome).toBe('aborted')
    expect(fake.running).toBe(0)
  })

  it('continue: runs every node whose dependencies succeeded and skips dependents of a failure', async () => {
    const spec: DagSpec = {
      name: 'cont',
      failurePolicy: 'continue',
      nodes: [
        { id: 'bad', taskType: 't' },
        { id: 'good', taskType: 't' },
        { id: 'child', taskType: 't', dependencies: ['bad'] },
        { id: 'grandchild', taskType: 't', dependencies: ['child', 'good'] },
        { id: 'fine', taskType: 't', dependencies: ['good'] }
      ]
    }
    const { actor, clock } = startDagRun(spec, id => id === 'bad' ? { duration: 5, failures: Infinity } : { duration: 10 })
    const result = await runToEnd(actor, clock)
    expect(result.status).toBe('failed')
    expect(Object.fromEntries(Object.entries(result.nodes).map(([id, n]) => [id, n.status]))).toEqual({
      bad: 'failed', good: 'succeeded', child: 'skipped', grandchild: 'skipped', fine: 'succeeded'
    })
    expect(result.outputs).toEqual({ fine: { from: 'fine' } })
  })

  it('retries a failing node with backoff and succeeds', async () => {
    const spec: DagSpec = { name: 'retry', retry: { maxAttempts: 3, backoffMs: 100 }, nodes: [{ id: 'flaky', taskType: 't' }] }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 10, failures: 2 }))
    const result = await runToEnd(actor, clock)
    expect(result.nodes.flaky).toMatchObject({ status: 'succeeded', attempts: 3 })
    expect(fake.attempts.map(a => a.start)).toEqual([0, 110, 320])
  })

  it('does not retry a non-retryable task error', async () => {
    const spec: DagSpec = { name: 'nr', nodes: [{ id: 'x', taskType: 't', retry: { maxAttempts: 5 } }] }
    const { actor, clock } = startDagRun(spec, () => ({ duration: 1, failures: Infinity, retryable: false }))
    const result = await runToEnd(actor, clock)
    expect(result.nodes.x).toMatchObject({ status: 'failed', attempts: 1 })
  })

  it('times a node out, aborts its attempt and retries it', async () => {
    const spec: DagSpec = { name: 'to', nodes: [{ id: 'slow', taskType: 't', timeout: 50, retry: { maxAttempts: 2, backoffMs: 0 } }] }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 80 }))
    const result = await runToEnd(actor, clock)
    expect(result.nodes.slow).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'TIMEOUT' } })
    expect(fake.attempts.map(a => a.outcome)).toEqual(['aborted', 'aborted'])
    expect(fake.attempts[0]?.request.timeoutMs).toBe(50)
  })

  it('workflow timeout aborts running nodes and ends timed_out', async () => {
    const spec: DagSpec = {
      name: 'wt',
      timeout: 100,
      nodes: [{ id: 'a', taskType: 't' }, { id: 'b', taskType: 't', dependencies: ['a'] }, { id: 'c', taskType: 't', dependencies: ['b'] }]
    }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 60 }))
    const result = await runToEnd(actor, clock)
    expect(result.status).toBe('timed_out')
    expect(result.error?.code).toBe('WORKFLOW_TIMEOUT')
    expect(Object.values(result.nodes).map(n => n.status)).toEqual(['succeeded', 'cancelled', 'skipped'])
    expect(fake.attempts[1]).toMatchObject({ nodeId: 'b', outcome: 'aborted', end: 100 })
    expect(actor.getSnapshot().value).toBe('timedOut')
  })

  it('cancel aborts running nodes and cancels pending retries', async () => {
    const spec: DagSpec = {
      name: 'c',
      failurePolicy: 'continue',
      nodes: [{ id: 'running', taskType: 't' }, { id: 'flaky', taskType: 't', retry: { maxAttempts: 2, backoffMs: 1000 } }, { id: 'next', taskType: 't', dependencies: ['running'] }]
    }
    const { actor, clock, fake } = startDagRun(spec, id => id === 'flaky' ? { duration: 5, failures: 1 } : { duration: 100 })
    await flush()
    clock.increment(10)
    await flush()
    actor.send({ type: 'cancel', reason: 'user asked' })
    const result = await runToEnd(actor, clock)
    expect(result.status).toBe('cancelled')
    expect(result.error).toEqual({ code: 'CANCELLED', message: 'user asked' })
    expect(result.nodes.running?.status).toBe('cancelled')
    expect(result.nodes.flaky).toMatchObject({ status: 'cancelled', attempts: 1 })
    expect(result.nodes.next?.status).toBe('skipped')
    clock.increment(2000)
    await flush()
    expect(fake.attempts).toHaveLength(2)
    expect(fake.running).toBe(0)
  })

  it('fails an invalid graph before anything runs', async () => {
    const spec: DagSpec = { name: 'cyc', nodes: [{ id: 'a', taskType: 't', dependencies: ['b'] }, { id: 'b', taskType: 't', dependencies: ['a'] }] }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 1 }))
    const result = await runToEnd(actor, clock)
    expect(result.status).toBe('failed')
    expect(result.error).toMatchObject({ code: 'CYCLE', details: { cycle: ['a', 'b', 'a'] } })
    expect(Object.values(result.nodes).map(n => n.status)).toEqual(['skipped', 'skipped'])
    expect(fake.attempts).toHaveLength(0)
  })

  it('a missing mapping source fails the node with MAPPING_FAILED without calling an agent', async () => {
    const spec: DagSpec = { name: 'map', nodes: [{ id: 'a', taskType: 't' }, { id: 'b', taskType: 't', dependencies: ['a'], inputMapping: { 'a.missing.path': 'x' } }] }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 1, output: { present: 1 } }))
    const result = await runToEnd(actor, clock)
    expect(result.nodes.b).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'MAPPING_FAILED' } })
    expect(fake.attempts.map(a => a.nodeId)).toEqual(['a'])
  })

  it('maps a whole dependency output and merges mapped values over static input', async () => {
    const spec: DagSpec = { name: 'map', nodes: [{ id: 'a', taskType: 't' }, { id: 'c', taskType: 't', dependencies: ['a'], input: { keep: 1, x: 0 }, inputMapping: { a: 'x', 'a.v': 'v' } }] }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 1, output: { v: 7 } }))
    await runToEnd(actor, clock)
    expect(fake.attempts[1]?.input).toEqual({ keep: 1, x: { v: 7 }, v: 7 })
  })

  it('budget: grants each node its budget, waits for running nodes before refusing, and keeps totalCost within totalBudget', async () => {
    const spec: DagSpec = {
      name: 'budget',
      totalBudget: 10,
      failurePolicy: 'continue',
      nodes: [{ id: 'a', taskType: 't', budget: 6 }, { id: 'b', taskType: 't', budget: 6 }, { id: 'c', taskType: 't', budget: 6 }]
    }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 10, cost: 4 }))
    const result = await runToEnd(actor, clock)
    expect(fake.attempts.map(a => [a.nodeId, a.start, a.request.budget])).toEqual([['a', 0, 6], ['b', 10, 6]])
    expect(result.nodes.c).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'BUDGET_EXCEEDED' } })
    expect(result.totalCost).toBe(8)
  })

  it('budget-less nodes that could run side by side share what is left and overlap; a lone one gets all that is left', async () => {
    const spec: DagSpec = {
      name: 'fair',
      totalBudget: 12,
      nodes: [
        { id: 'root', taskType: 't' },
        { id: 'x', taskType: 't', dependencies: ['root'] },
        { id: 'y', taskType: 't', dependencies: ['root'] },
        { id: 'z', taskType: 't', dependencies: ['root'] },
        { id: 'sink', taskType: 't', dependencies: ['x', 'y', 'z'] }
      ]
    }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 10, cost: 2 }))
    const result = await runToEnd(actor, clock)
    expect(result.status).toBe('completed')
    expect(fake.attempts.map(a => [a.nodeId, a.start])).toEqual([['root', 0], ['x', 10], ['y', 10], ['z', 10], ['sink', 20]])
    expect(fake.attempts.map(a => a.request.budget)).toEqual([12, expect.closeTo(10 / 3), expect.closeTo(10 / 3), expect.closeTo(10 / 3), expect.closeTo(4)])
    expect(result.maxParallelismObserved).toBe(3)
    expect(result.totalCost).toBe(10)
  })

  it('budget-less nodes waiting for a parallelism slot keep their share', async () => {
    const spec: DagSpec = { name: 'slots', totalBudget: 12, maxParallelism: 2, nodes: ['a', 'b', 'c'].map(id => ({ id, taskType: 't' })) }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 10, cost: 1 }))
    const result = await runToEnd(actor, clock)
    expect(fake.attempts.map(a => [a.nodeId, a.start, a.request.budget])).toEqual([['a', 0, 4], ['b', 0, 4], ['c', 10, 7]])
    expect(result.totalCost).toBe(3)
  })

  it('a reported cost above the node budget fails the node with BUDGET_EXCEEDED', async () => {
    const spec: DagSpec = { name: 'over', nodes: [{ id: 'a', taskType: 't', budget: 1, retry: { maxAttempts: 3 } }] }
    const { actor, clock } = startDagRun(spec, () => ({ duration: 1, cost: 5 }))
    const result = await runToEnd(actor, clock)
    expect(result.nodes.a).toMatchObject({ status: 'failed', attempts: 1, cost: 1, error: { code: 'BUDGET_EXCEEDED' } })
  })

  it('retries ask to avoid the agent that failed', async () => {
    const spec: DagSpec = { name: 'avoid', nodes: [{ id: 'a', taskType: 't', agentId: 'agent-x', retry: { maxAttempts: 2, backoffMs: 0 } }] }
    const { actor, clock, fake } = startDagRun(spec, () => ({ duration: 1, failures: 1 }))
    await runToEnd(actor, clock)
    expect(fake.attempts[1]?.request.avoidAgents).toEqual(['agent-x'])
  })

  it('fails with INTERNAL when no step runner was provided', () => {
    const actor = createActor(dagRunMachine, { input: { runId: 'r', spec: diamond } }).start()
    const snapshot = actor.getSnapshot()
    expect(snapshot.value).toBe('failed')
    expect(snapshot.output?.error).toMatchObject({ code: 'INTERNAL' })
    expect(snapshot.output?.nodes.fetch?.status).toBe('cancelled')
    expect(snapshot.output?.nodes.combine?.status).toBe('skipped')
  })

  it('its snapshot is plain data that survives a JSON round trip', async () => {
    const { actor, clock } = startDagRun(diamond, diamondBehaviour)
    await flush()
    clock.increment(15)
    await flush()
    const persisted = actor.getPersistedSnapshot()
    expect(JSON.parse(JSON.stringify(persisted))).toEqual(persisted)
    await runToEnd(actor, clock)
  })

  it('resumes from a persisted snapshot: RESUME re-sends running attempts with their attempt numbers and re-arms timers', async () => {
    const spec: DagSpec = {
      name: 'resume',
      timeout: 1000,
      nodes: [
        { id: 'fetch', taskType: 't' },
        { id: 'slow', taskType: 't', dependencies: ['fetch'], inputMapping: { 'fetch.data': 'data' }, timeout: 50, retry: { maxAttempts: 2, backoffMs: 0 } },
        { id: 'flaky', taskType: 't', dependencies: ['fetch'], retry: { maxAttempts: 2, backoffMs: 100 } },
        { id: 'sink', taskType: 't', dependencies: ['slow', 'flaky'] }
      ]
    }
    const behaviour = (id: string): NodeBehaviour => id === 'fetch' ? { duration: 10, output: { data: 7 } } : id === 'flaky' ? { duration: 10, failures: 1 } : { duration: 30 }
    const first = startDagRun(spec, behaviour)
    await flush()
    first.clock.increment(10); await flush() // fetch done: slow and flaky start
    first.clock.increment(10); await flush() // flaky failed: backoff until 120
    first.clock.increment(5); await flush()
    expect(first.fake.attempts.map(a => [a.nodeId, a.attempt])).toEqual([['fetch', 1], ['slow', 1], ['flaky', 1]])
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))
    first.actor.stop()

    const { clock, fake, actor: resumed } = restoreDagRun(persisted, spec, behaviour)
    expect(resumed.getSnapshot().value).toBe('running')
    resumed.send({ type: 'RESUME' })
    await flush()
    expect(fake.attempts.map(a => [a.nodeId, a.attempt, a.input])).toEqual([['slow', 1, { data: 7 }]])
    expect(fake.attempts[0]?.request).toMatchObject({ runId: 'run-1', timeoutMs: 50 })
    clock.increment(30); await flush() // slow answers within its re-armed timeout
    clock.increment(69); await flush()
    expect(fake.attempts.map(a => [a.nodeId, a.outcome])).toEqual([['slow', 'succeeded']]) // flaky's backoff started again on resume
    const result = await runToEnd(resumed, clock)
    expect(fake.attempts.map(a => [a.nodeId, a.attempt, a.start])).toEqual([['slow', 1, 0], ['flaky', 2, 100], ['sink', 1, 110]])
    expect(result.status).toBe('completed')
    expect(result.nodes.flaky).toMatchObject({ status: 'succeeded', attempts: 2 })
  })

  it('a resumed run times out on its re-armed node and workflow timers', async () => {
    const spec: DagSpec = { name: 'hang', timeout: 500, failurePolicy: 'continue', nodes: [{ id: 'a', taskType: 't', timeout: 100 }, { id: 'b', taskType: 't' }] }
    const first = startDagRun(spec, () => ({ duration: 10_000 }))
    await flush()
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))
    first.actor.stop()
    const { clock, fake, actor: resumed } = restoreDagRun(persisted, spec, () => ({ duration: 10_000 }))
    resumed.send({ type: 'RESUME' })
    const result = await runToEnd(resumed, clock)
    expect(result.status).toBe('timed_out')
    expect(result.nodes.a).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
    expect(fake.attempts.map(a => [a.nodeId, a.attempt, a.outcome])).toEqual([['a', 1, 'aborted'], ['b', 1, 'aborted']])
    expect(clock.now()).toBe(500)
  })
})
