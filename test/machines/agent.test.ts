import { describe, expect, it } from 'vitest'
import { startAgent, task } from './agent-harness.ts'

describe('agent machine: running', () => {
  it('goes busy while a task runs and idle when it is answered', () => {
    const a = startAgent()
    expect(a.state()).toEqual({ running: 'idle' })
    const t = a.arrive(task())
    expect(a.started).toEqual([t.taskId])
    expect(a.state()).toEqual({ running: 'busy' })
    a.done(t.taskId, { echo: 1 }, 0.5)
    expect(a.state()).toEqual({ running: 'idle' })
    expect(a.replies).toEqual([{ taskId: t.taskId, result: { ok: true, output: { echo: 1 }, cost: 0.5 }, outcome: 'succeeded' }])
  })

  it('never runs more tasks than its concurrency and queues the rest', () => {
    const a = startAgent({ concurrency: 2 })
    const [t1, t2, t3] = [a.arrive(task()), a.arrive(task()), a.arrive(task())]
    expect(a.started).toEqual([t1.taskId, t2.taskId])
    expect(a.context().mailbox.map(t => t.taskId)).toEqual([t3.taskId])
    expect(a.depths).toEqual([1])
    a.done(t2.taskId)
    expect(a.started).toEqual([t1.taskId, t2.taskId, t3.taskId])
    expect(a.depths).toEqual([1, 0])
  })

  it('takes queued tasks highest priority first, FIFO within a priority', () => {
    const a = startAgent()
    const first = a.arrive(task())
    const low = a.arrive(task({ priority: 1 }))
    const highA = a.arrive(task({ priority: 5 }))
    const mid = a.arrive(task({ priority: 3 }))
    const highB = a.arrive(task({ priority: 5 }))
    for (const id of [first, highA, highB, mid].map(t => t.taskId)) a.done(id)
    expect(a.started).toEqual([first, highA, highB, mid, low].map(t => t.taskId))
  })

  it('answers MAILBOX_FULL at once when the mailbox is full', () => {
    const a = startAgent({ mailboxSize: 2 })
    a.arrive(task()); a.arrive(task()); a.arrive(task())
    const overflow = a.arrive(task())
    expect(a.replyOf(overflow.taskId)).toMatchObject({ outcome: 'rejected', result: { ok: false, error: { code: 'MAILBOX_FULL' } } })
    expect(a.context().mailbox).toHaveLength(2)
  })

  it('ignores a task id it already holds (a retransmit)', () => {
    const a = startAgent()
    const t = a.arrive(task())
    a.arrive(t)
    expect(a.started).toEqual([t.taskId])
    expect(a.context().mailbox).toHaveLength(0)
  })

  it('fails one task on task.failed without restarting', () => {
    const a = startAgent()
    const t = a.arrive(task())
    a.failed(t.taskId)
    expect(a.replyOf(t.taskId)).toMatchObject({ outcome: 'failed', result: { ok: false, error: { code: 'HANDLER_ERROR' } } })
    expect(a.state()).toEqual({ running: 'idle' })
    expect(a.restarts).toEqual([])
  })

  it('drops a cancelled queued task and aborts a cancelled running one, answering each once', () => {
    const a = startAgent()
    const running = a.arrive(task())
    const queued = a.arrive(task())
    const next = a.arrive(task())
    a.cancel(queued.taskId)
    expect(a.replyOf(queued.taskId)).toMatchObject({ outcome: 'cancelled', result: { ok: false, error: { code: 'ABORTED' } } })
    a.cancel(running.taskId, { code: 'TIMEOUT', message: 'deadline passed' })
    expect(a.aborted).toEqual([{ taskId: running.taskId, reason: { code: 'TIMEOUT', message: 'deadline passed' } }])
    expect(a.replyOf(running.taskId)).toMatchObject({ result: { ok: false, error: { code: 'TIMEOUT' } } })
    expect(a.started).toEqual([running.taskId, next.taskId])
    a.done(running.taskId) // the handler finishing late changes nothing
    expect(a.replies.filter(r => r.taskId === running.taskId)).toHaveLength(1)
  })
})

describe('agent machine: supervision', () => {
  it('answers the crashed task HANDLER_ERROR and restarts after the backoff, keeping queued tasks', () => {
    const a = startAgent({ supervision: { backoffMs: 100 } })
    const t = a.arrive(task())
    const queued = a.arrive(task())
    a.crash(t.taskId, 'kaput')
    expect(a.replyOf(t.taskId)).toMatchObject({ outcome: 'crashed', result: { ok: false, error: { code: 'HANDLER_ERROR', message: 'kaput' } } })
    expect(a.state()).toBe('restarting')
    expect(a.restarts).toEqual([{ restarts: 1, delayMs: 100 }])
    a.clock.increment(99)
    expect(a.state()).toBe('restarting')
    expect(a.started).toEqual([t.taskId])
    a.clock.increment(1)
    expect(a.state()).toEqual({ running: 'busy' })
    expect(a.started).toEqual([t.taskId, queued.taskId])
    expect(a.replyOf(queued.taskId)).toBeUndefined()
  })

  it('doubles the backoff with each crash in the window, up to maxBackoffMs', () => {
    const a = startAgent({ supervision: { maxRestarts: 10, backoffMs: 100, maxBackoffMs: 300, withinMs: 60_000 } })
    for (let i = 0; i < 4; i++) {
      const t = a.arrive(task())
      a.crash(t.taskId)
      a.clock.increment(a.restarts[i].delayMs)
    }
    expect(a.restarts.map(r => r.delayMs)).toEqual([100, 200, 300, 300])
    expect(a.restarts.map(r => r.restarts)).toEqual([1, 2, 3, 4])
  })

  it('queues tasks that arrive while restarting and still bounds the mailbox', () => {
    const a = startAgent({ mailboxSize: 1 })
    a.crash(a.arrive(task()).taskId)
    const queued = a.arrive(task())
    const overflow = a.arrive(task())
    expect(a.replyOf(queued.taskId)).toBeUndefined()
    expect(a.replyOf(overflow.taskId)?.result).toMatchObject({ ok: false, error: { code: 'MAILBOX_FULL' } })
  })

  it('stops for good after more than maxRestarts crashes within withinMs', () => {
    const a = startAgent({ supervision: { maxRestarts: 2, withinMs: 1000, backoffMs: 10 } })
    for (let i = 0; i < 2; i++) {
      a.crash(a.arrive(task()).taskId)
      a.clock.increment(a.restarts[i].delayMs)
    }
    const last = a.arrive(task())
    const queued = a.arrive(task())
    a.crash(last.taskId, 'third')
    expect(a.state()).toBe('stopped')
    expect(a.stops).toEqual([{ reason: 'restart-limit', error: { code: 'HANDLER_ERROR', message: 'third' } }])
    expect(a.replyOf(queued.taskId)).toMatchObject({ outcome: 'stopped', result: { ok: false, error: { code: 'AGENT_STOPPED' } } })
    const later = a.arrive(task())
    expect(a.replyOf(later.taskId)).toMatchObject({ outcome: 'stopped', result: { ok: false, error: { code: 'AGENT_STOPPED' } } })
    expect(a.restarts).toHaveLength(2)
  })

  it('forgets crashes older than withinMs', () => {
    const a = startAgent({ supervision: { maxRestarts: 1, withinMs: 1000, backoffMs: 10 } })
    for (let i = 0; i < 5; i++) {
      a.crash(a.arrive(task()).taskId)
      a.clock.increment(1000)
    }
    expect(a.state()).toEqual({ running: 'idle' })
    expect(a.restarts).toHaveLength(5)
    expect(a.stops).toEqual([])
  })

  it('aborts and answers the other running tasks when one crashes', () => {
    const a = startAgent({ concurrency: 2 })
    const crashing = a.arrive(task())
    const sibling = a.arrive(task())
    a.crash(crashing.taskId)
    expect(a.aborted.map(x => x.taskId)).toEqual([sibling.taskId])
    expect(a.replyOf(sibling.taskId)).toMatchObject({ outcome: 'crashed', result: { ok: false, error: { code: 'HANDLER_ERROR', details: { reason: 'agent-crashed' } } } })
  })

  it('ignores a crash report for a task it no longer runs', () => {
    const a = startAgent()
    const t = a.arrive(task())
    a.cancel(t.taskId)
    a.crash(t.taskId)
    expect(a.state()).toEqual({ running: 'idle' })
    expect(a.restarts).toEqual([])
  })
})

describe('agent machine: stop', () => {
  it('stops at once when idle, answering queued tasks AGENT_STOPPED', () => {
    const a = startAgent()
    a.stop()
    expect(a.state()).toBe('stopped')
    expect(a.stops).toEqual([{ reason: 'requested' }])
  })

  it('lets in-flight tasks finish, answers queued ones AGENT_STOPPED, then stops', () => {
    const a = startAgent()
    const running = a.arrive(task())
    const queued = a.arrive(task())
    a.stop()
    expect(a.state()).toBe('stopping')
    expect(a.replyOf(queued.taskId)).toMatchObject({ outcome: 'stopped', result: { ok: false, error: { code: 'AGENT_STOPPED' } } })
    const late = a.arrive(task())
    expect(a.replyOf(late.taskId)?.result).toMatchObject({ ok: false, error: { code: 'AGENT_STOPPED' } })
    a.clock.increment(60_000)
    expect(a.state()).toBe('stopping')
    a.done(running.taskId, 'ok')
    expect(a.replyOf(running.taskId)?.result).toEqual({ ok: true, output: 'ok', cost: 0 })
    expect(a.state()).toBe('stopped')
    expect(a.stops).toEqual([{ reason: 'requested' }])
  })

  it('aborts in-flight tasks with AGENT_STOPPED when the grace period runs out', () => {
    const a = startAgent()
    const running = a.arrive(task())
    a.stop(500)
    a.clock.increment(499)
    expect(a.state()).toBe('stopping')
    a.clock.increment(1)
    expect(a.state()).toBe('stopped')
    expect(a.aborted.map(x => x.taskId)).toEqual([running.taskId])
    expect(a.replyOf(running.taskId)).toMatchObject({ outcome: 'stopped', result: { ok: false, error: { code: 'AGENT_STOPPED' } } })
    expect(a.replyOf(running.taskId)?.result).toHaveProperty('error.message', expect.stringContaining('500 ms'))
  })

  it('a second stop with a shorter grace shortens the wait', () => {
    const a = startAgent()
    a.arrive(task())
    a.stop(10_000)
    a.clock.increment(100)
    a.stop(0)
    a.clock.increment(0)
    expect(a.state()).toBe('stopped')
  })

  it('stops from restarting without restarting, answering queued tasks', () => {
    const a = startAgent()
    a.crash(a.arrive(task()).taskId)
    const queued = a.arrive(task())
    a.stop()
    expect(a.state()).toBe('stopped')
    expect(a.replyOf(queued.taskId)?.outcome).toBe('stopped')
    a.clock.increment(10_000)
    expect(a.state()).toBe('stopped')
    expect(a.started).toHaveLength(1)
  })

  it('answers a crash during stopping without restarting', () => {
    const a = startAgent()
    const t = a.arrive(task())
    a.stop()
    a.crash(t.taskId)
    expect(a.replyOf(t.taskId)?.outcome).toBe('crashed')
    expect(a.state()).toBe('stopped')
    expect(a.restarts).toEqual([])
  })
})
