import { pino } from 'pino'
import { Registry } from 'prom-client'
import { describe, expect, it, vi } from 'vitest'
import { sendParent, setup } from 'xstate'
import { createStandaloneHost } from '../../src/actor-host.ts'
import type { AgentSpec, TaskContext } from '../../src/agent-types.ts'
import { createAgentMetrics } from '../../src/agents/agent-metrics.ts'
import { createAgentRuntime, type AgentStoppedEvent } from '../../src/agents/agent-runtime.ts'
import type { MessageBus } from '../../src/bus-types.ts'
import { TaskError, isZeroStateError } from '../../src/errors.ts'
import type { AgentTask, TaskResult, UserLogicTaskEvent } from '../../machines/agent-types.ts'

const bus: MessageBus = {
  address: 'did:key:zNode#worker',
  send: async () => {},
  request: async () => { throw new Error('unused') },
  call: async () => { throw new Error('unused') },
  broadcast: async () => {},
  on: () => () => {}
}

let n = 0
function task (overrides: Partial<AgentTask> = {}): AgentTask {
  n++
  return { taskId: `task-${n}`, payload: { n }, priority: 0, deadline: Date.now() + 10_000, budget: null, from: 'did:key:zCaller#c', replyTo: 'did:key:zCaller#c', ...overrides }
}

function setupAgent (spec: Partial<AgentSpec> & Pick<AgentSpec, 'handle' | 'logic'>) {
  const registry = new Registry()
  const replies = new Map<string, TaskResult>()
  const runtime = createAgentRuntime({ name: 'worker', ...spec }, {
    agentId: 'did:key:zNode#worker',
    host: createStandaloneHost(),
    logger: pino({ level: 'silent' }),
    bus,
    metrics: createAgentMetrics(registry),
    reply: (t, result) => {
      expect(replies.has(t.taskId)).toBe(false)
      replies.set(t.taskId, result)
    }
  })
  const metric = async (name: string, labels: Record<string, string>): Promise<number | undefined> => {
    const values = (await registry.getMetricsAsJSON()).flatMap(m => m.values.map(v => ({ ...v, metricName: (v as { metricName?: string }).metricName ?? m.name })))
    return values.find(v => v.metricName === name && Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value
  }
  return { runtime, replies, registry, metric }
}

describe('agent runtime', () => {
  it('answers a synchronous handler within deliver, with the summed reported cost', async () => {
    const { runtime, replies, metric } = setupAgent({ handle: (payload: { n: number }, ctx) => { ctx.reportCost(1); ctx.reportCost(0.5); return { doubled: payload.n * 2 } } })
    const t = runtime.deliver(task({ payload: { n: 21 } }))
    expect(t).toBeUndefined()
    expect([...replies.values()]).toEqual([{ ok: true, output: { doubled: 42 }, cost: 1.5 }])
    expect(await metric('zerostate_agent_tasks_total', { agent: 'worker', outcome: 'succeeded' })).toBe(1)
    expect(await metric('zerostate_agent_task_duration_seconds_count', { agent: 'worker' })).toBe(1)
  })

  it('answers an async handler when its promise resolves', async () => {
    const { runtime, replies } = setupAgent({ handle: async (payload: { n: number }) => { await new Promise(resolve => setTimeout(resolve, 1)); return payload.n } })
    const t = task()
    runtime.deliver(t)
    expect(replies.size).toBe(0)
    await vi.waitFor(() => { expect(replies.get(t.taskId)).toEqual({ ok: true, output: (t.payload as { n: number }).n, cost: 0 }) })
  })

  it('hands the handler a ctx with deadline, budget, ids, priority, logger and bus', () => {
    let seen: TaskContext | undefined
    const { runtime } = setupAgent({ handle: (_p, ctx) => { seen = ctx; return null } })
    const t = task({ priority: 7, budget: null })
    runtime.deliver(t)
    expect(seen).toMatchObject({ deadline: t.deadline, budget: Infinity, requestId: t.taskId, from: t.from, priority: 7, bus })
    expect(seen?.signal.aborted).toBe(false)
    expect(seen?.logger.bindings()).toMatchObject({ agentId: 'did:key:zNode#worker', requestId: t.taskId })
    const budgeted = task({ budget: 3 })
    runtime.deliver(budgeted)
    expect(seen?.budget).toBe(3)
  })

  it('fails only the task when the handler throws a TaskError', async () => {
    const { runtime, replies, metric } = setupAgent({ handle: () => { throw new TaskError('too big', { code: 'TOO_LARGE', retryable: false, details: { max: 10 } }) } })
    const t = task()
    runtime.deliver(t)
    expect(replies.get(t.taskId)).toEqual({ ok: false, error: { code: 'HANDLER_ERROR', message: 'too big', details: { code: 'TOO_LARGE', retryable: false, details: { max: 10 } } } })
    expect(runtime.actor.getSnapshot().value).toEqual({ running: 'idle' })
    expect(await metric('zerostate_agent_restarts_total', { agent: 'worker' })).toBeUndefined()
    expect(await metric('zerostate_agent_tasks_total', { agent: 'worker', outcome: 'failed' })).toBe(1)
  })

  it('restarts after a crash and then runs the tasks queued meanwhile', async () => {
    let calls = 0
    const { runtime, replies, metric } = setupAgent({
      supervision: { backoffMs: 5 },
      handle: async (payload: { crash?: boolean }) => {
        calls++
        if (payload.crash === true) throw new Error('kaboom')
        return 'ok'
      }
    })
    const crashing = task({ payload: { crash: true } })
    const queued = task({ payload: {} })
    runtime.deliver(crashing)
    runtime.deliver(queued)
    await vi.waitFor(() => { expect(replies.get(queued.taskId)).toEqual({ ok: true, output: 'ok', cost: 0 }) })
    expect(replies.get(crashing.taskId)).toEqual({ ok: false, error: { code: 'HANDLER_ERROR', message: 'kaboom' } })
    expect(calls).toBe(2)
    expect(await metric('zerostate_agent_restarts_total', { agent: 'worker' })).toBe(1)
    expect(await metric('zerostate_agent_tasks_total', { agent: 'worker', outcome: 'crashed' })).toBe(1)
  })

  it('stops for good after too many crashes and reports why', async () => {
    const { runtime, replies } = setupAgent({ supervision: { maxRestarts: 1, backoffMs: 1 }, handle: () => { throw new Error('always') } })
    const stopped = new Promise<AgentStoppedEvent>(resolve => { runtime.onStopped(resolve) })
    runtime.deliver(task())
    await vi.waitFor(() => { expect(runtime.actor.getSnapshot().value).toEqual({ running: 'idle' }) })
    runtime.deliver(task())
    expect(await stopped).toEqual({ agentId: 'did:key:zNode#worker', reason: 'restart-limit', error: { code: 'HANDLER_ERROR', message: 'always' } })
    const later = task()
    runtime.deliver(later)
    expect(replies.get(later.taskId)).toMatchObject({ ok: false, error: { code: 'AGENT_STOPPED' } })
  })

  it('aborts the handler\'s signal at the deadline and answers TIMEOUT', async () => {
    let reason: unknown
    const { runtime, replies } = setupAgent({
      handle: async (_p, ctx) => await new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => { reason = ctx.signal.reason; reject(ctx.signal.reason) })
      })
    })
    const t = task({ deadline: Date.now() + 20 })
    runtime.deliver(t)
    await vi.waitFor(() => { expect(replies.get(t.taskId)).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } }) })
    expect(isZeroStateError(reason, 'TIMEOUT')).toBe(true)
    await new Promise(resolve => setImmediate(resolve))
    expect(runtime.actor.getSnapshot().value).toEqual({ running: 'idle' })
  })

  it('answers a task whose deadline passed while queued without running it', () => {
    const started: unknown[] = []
    const { runtime, replies } = setupAgent({ handle: (payload) => { started.push(payload); return null } })
    const t = task({ deadline: Date.now() - 1 })
    runtime.deliver(t)
    expect(started).toEqual([])
    expect(replies.get(t.taskId)).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
  })

  it('aborts a running task its caller cancels', async () => {
    let signal: AbortSignal | undefined
    const { runtime, replies } = setupAgent({ handle: async (_p, ctx) => { signal = ctx.signal; return await new Promise(() => {}) } })
    const t = task()
    runtime.deliver(t)
    runtime.cancel(t.taskId)
    expect(signal?.aborted).toBe(true)
    expect(isZeroStateError(signal?.reason, 'ABORTED')).toBe(true)
    expect(replies.get(t.taskId)).toMatchObject({ ok: false, error: { code: 'ABORTED' } })
    expect(runtime.load()).toEqual({ running: 0, queued: 0, concurrency: 1 })
  })

  it('stops gracefully: in-flight tasks finish, queued ones get AGENT_STOPPED', async () => {
    let finish: (value: string) => void = () => {}
    const { runtime, replies, metric } = setupAgent({ handle: async () => await new Promise<string>(resolve => { finish = resolve }) })
    const running = task()
    const queued = task()
    runtime.deliver(running)
    runtime.deliver(queued)
    expect(runtime.load()).toEqual({ running: 1, queued: 1, concurrency: 1 })
    expect(await metric('zerostate_agent_queue_depth', { agent: 'worker' })).toBe(1)
    const events: AgentStoppedEvent[] = []
    runtime.onStopped(e => events.push(e))
    const stopping = runtime.stop()
    expect(replies.get(queued.taskId)).toMatchObject({ ok: false, error: { code: 'AGENT_STOPPED' } })
    finish('done')
    await stopping
    expect(replies.get(running.taskId)).toEqual({ ok: true, output: 'done', cost: 0 })
    expect(events).toEqual([{ agentId: 'did:key:zNode#worker', reason: 'requested' }])
    expect(runtime.load()).toEqual({ running: 0, queued: 0, concurrency: 1 })
    const late = task()
    runtime.deliver(late)
    expect(replies.get(late.taskId)).toMatchObject({ ok: false, error: { code: 'AGENT_STOPPED' } })
    expect(await metric('zerostate_agent_tasks_total', { agent: 'worker', outcome: 'stopped' })).toBe(2)
  })

  it('aborts in-flight tasks when the stop timeout runs out', async () => {
    let signal: AbortSignal | undefined
    const { runtime, replies } = setupAgent({ handle: async (_p, ctx) => { signal = ctx.signal; return await new Promise(() => {}) } })
    const t = task()
    runtime.deliver(t)
    await runtime.stop({ timeout: 10 })
    expect(signal?.aborted).toBe(true)
    expect(replies.get(t.taskId)).toMatchObject({ ok: false, error: { code: 'AGENT_STOPPED' } })
  })

  it('cuts the stop grace short when the stop signal aborts', async () => {
    const { runtime, replies } = setupAgent({ handle: async () => await new Promise(() => {}) })
    const t = task()
    runtime.deliver(t)
    const controller = new AbortController()
    const stopping = runtime.stop({ signal: controller.signal })
    controller.abort()
    await stopping
    expect(replies.get(t.taskId)).toMatchObject({ ok: false, error: { code: 'AGENT_STOPPED' } })
  })

  it('runs user XState logic agents through the task event contract', async () => {
    const logic = setup({ types: {} as { events: UserLogicTaskEvent } }).createMachine({
      on: { 'zerostate.task': { actions: sendParent(({ event }) => ({ type: 'zerostate.task.done', taskId: event.taskId, output: { got: event.task }, cost: 1 })) } }
    })
    const { runtime, replies, metric } = setupAgent({ logic })
    const t = task({ payload: 'hello' })
    runtime.deliver(t)
    await vi.waitFor(() => { expect(replies.get(t.taskId)).toEqual({ ok: true, output: { got: 'hello' }, cost: 1 }) })
    expect(await metric('zerostate_agent_task_duration_seconds_count', { agent: 'worker' })).toBe(1)
  })

  it('rejects a spec with both or neither of handle and logic', () => {
    expect(() => setupAgent({ handle: undefined, logic: undefined })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
