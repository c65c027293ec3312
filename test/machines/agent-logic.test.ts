import { describe, expect, it } from 'vitest'
import { assign, sendParent, setup } from 'xstate'
import type { UserLogicReplyEvent, UserLogicTaskEvent } from '../../machines/agent-types.ts'
import { startAgent, task } from './agent-harness.ts'

/**
 * A user state chart following the task contract: it counts tasks, answers
 * `{ count }`, fails tasks whose payload says `fail`, and throws on `explode`.
 */
const counterLogic = setup({
  types: {} as { context: { count: number }, events: UserLogicTaskEvent },
  actions: {
    answer: sendParent(({ context, event }): UserLogicReplyEvent => {
      const payload = event.task as { op?: string }
      if (payload.op === 'fail') return { type: 'zerostate.task.failed', taskId: event.taskId, error: { code: 'BAD_INPUT', message: 'no', details: { field: 'op' } } }
      return { type: 'zerostate.task.done', taskId: event.taskId, output: { count: context.count }, cost: 2 }
    })
  }
}).createMachine({
  context: { count: 0 },
  on: {
    'zerostate.task': {
      actions: [
        assign({
          count: ({ context, event }) => {
            if ((event.task as { op?: string }).op === 'explode') throw new Error('logic exploded')
            return context.count + 1
          }
        }),
        'answer'
      ]
    }
  }
})

describe('agent machine: user logic agents', () => {
  it('forwards each task to the logic child and replies with its answer', () => {
    const a = startAgent({}, counterLogic)
    const t1 = a.arrive(task({ payload: {} }))
    const t2 = a.arrive(task({ payload: {} }))
    expect(a.started).toEqual([])
    expect(a.forwarded).toEqual([t1.taskId, t2.taskId])
    expect(a.replyOf(t1.taskId)).toEqual({ taskId: t1.taskId, outcome: 'succeeded', result: { ok: true, output: { count: 1 }, cost: 2 } })
    expect(a.replyOf(t2.taskId)?.result).toEqual({ ok: true, output: { count: 2 }, cost: 2 })
    expect(a.state()).toEqual({ running: 'idle' })
  })

  it('turns zerostate.task.failed into HANDLER_ERROR carrying the logic\'s own code', () => {
    const a = startAgent({}, counterLogic)
    const t = a.arrive(task({ payload: { op: 'fail' } }))
    expect(a.replyOf(t.taskId)).toEqual({
      taskId: t.taskId,
      outcome: 'failed',
      result: { ok: false, error: { code: 'HANDLER_ERROR', message: 'no', details: { code: 'BAD_INPUT', details: { field: 'op' } } } }
    })
    expect(a.restarts).toEqual([])
  })

  it('treats an error in the logic as a crash and respawns it with fresh state', () => {
    const a = startAgent({ supervision: { backoffMs: 50 } }, counterLogic)
    a.arrive(task({ payload: {} }))
    a.arrive(task({ payload: {} }))
    const boom = a.arrive(task({ payload: { op: 'explode' } }))
    expect(a.replyOf(boom.taskId)).toMatchObject({ outcome: 'crashed', result: { ok: false, error: { code: 'HANDLER_ERROR', message: 'logic exploded' } } })
    expect(a.state()).toBe('restarting')
    expect(a.actor.getSnapshot().children.logic).toBeUndefined()
    a.clock.increment(50)
    const after = a.arrive(task({ payload: {} }))
    expect(a.replyOf(after.taskId)?.result).toEqual({ ok: true, output: { count: 1 }, cost: 2 })
  })

  it('stops for good when the logic keeps crashing', () => {
    const a = startAgent({ supervision: { maxRestarts: 1, backoffMs: 10 } }, counterLogic)
    a.arrive(task({ payload: { op: 'explode' } }))
    a.clock.increment(10)
    a.arrive(task({ payload: { op: 'explode' } }))
    expect(a.state()).toBe('stopped')
    expect(a.stops).toEqual([{ reason: 'restart-limit', error: { code: 'HANDLER_ERROR', message: 'logic exploded' } }])
  })

  it('tells the logic when a running task is cancelled', () => {
    const received: string[] = []
    const silent = setup({ types: {} as { events: UserLogicTaskEvent | { type: 'zerostate.task.cancel', taskId: string } } }).createMachine({
      on: { '*': { actions: ({ event }) => { received.push(event.type) } } }
    })
    const a = startAgent({}, silent)
    const t = a.arrive(task())
    a.cancel(t.taskId)
    expect(received).toEqual(['zerostate.task', 'zerostate.task.cancel'])
    expect(a.replyOf(t.taskId)?.outcome).toBe('cancelled')
  })
})
