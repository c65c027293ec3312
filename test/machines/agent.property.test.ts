import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { startAgent, task } from './agent-harness.ts'

type Command =
  | { kind: 'arrive', priority: number }
  | { kind: 'rearrive', pick: number }
  | { kind: 'done' | 'failed' | 'crash' | 'cancel', pick: number }
  | { kind: 'stop', graceMs: number | undefined }
  | { kind: 'tick', ms: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('arrive' as const), priority: fc.integer({ min: 0, max: 3 }) }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('rearrive' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constantFrom('done' as const, 'failed' as const, 'crash' as const, 'cancel' as const), pick: fc.nat() }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('stop' as const), graceMs: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 1500 }) }), weight: 3 }
)

const config = fc.record({
  concurrency: fc.integer({ min: 1, max: 3 }),
  mailboxSize: fc.integer({ min: 0, max: 4 }),
  maxRestarts: fc.integer({ min: 0, max: 3 }),
  withinMs: fc.integer({ min: 1, max: 2000 }),
  backoffMs: fc.integer({ min: 0, max: 300 })
})

describe('agent machine: properties', () => {
  it('answers every task exactly once, never exceeds concurrency, and stops exactly when the restart budget is spent', () => {
    fc.assert(fc.property(config, fc.array(command, { maxLength: 60 }), (cfg, commands) => {
      const a = startAgent({ concurrency: cfg.concurrency, mailboxSize: cfg.mailboxSize, supervision: { maxRestarts: cfg.maxRestarts, withinMs: cfg.withinMs, backoffMs: cfg.backoffMs, maxBackoffMs: 1000 } })
      const arrived: string[] = []
      const crashTimes: number[] = []
      let now = 0
      let stopRequested = false
      let budgetSpent = false

      for (const c of commands) {
        const ctx = a.context()
        const held = [...ctx.running, ...ctx.mailbox]
        switch (c.kind) {
          case 'arrive': arrived.push(a.arrive(task({ priority: c.priority })).taskId); break
          case 'rearrive': if (held.length > 0) a.arrive(held[c.pick % held.length]); break
          case 'done': if (ctx.running.length > 0) a.done(ctx.running[c.pick % ctx.running.length].taskId, c.pick); break
          case 'failed': if (ctx.running.length > 0) a.failed(ctx.running[c.pick % ctx.running.length].taskId); break
          case 'cancel': if (arrived.length > 0) a.cancel(arrived[c.pick % arrived.length]); break
          case 'stop': stopRequested = true; a.stop(c.graceMs); break
          case 'tick': now += c.ms; a.clock.increment(c.ms); break
          case 'crash': {
            if (ctx.running.length === 0) break
            const counts = a.actor.getSnapshot().matches('running')
            a.crash(ctx.running[c.pick % ctx.running.length].taskId)
            if (!counts) break
            crashTimes.push(now)
            const inWindow = crashTimes.filter(t => t > now - cfg.withinMs).length
            if (inWindow > cfg.maxRestarts) budgetSpent = true
            expect(a.state()).toEqual(budgetSpent ? 'stopped' : 'restarting')
            if (budgetSpent) expect(a.stops.at(-1)?.reason).toBe('restart-limit')
            break
          }
        }
        const after = a.context()
        expect(after.running.length).toBeLessThanOrEqual(cfg.concurrency)
        expect(after.mailbox.length).toBeLessThanOrEqual(cfg.mailboxSize)
        if (a.state() === 'stopped') expect(stopRequested || budgetSpent).toBe(true)
        // a task is answered only once it has left the agent
        const answered = new Set(a.replies.map(r => r.taskId))
        for (const t of [...after.running, ...after.mailbox]) expect(answered.has(t.taskId)).toBe(false)
        // the handler slots in use are exactly the running tasks
        const active = a.started.filter(id => !answered.has(id) && !a.aborted.some(x => x.taskId === id))
        expect(new Set(active)).toEqual(new Set(after.running.map(t => t.taskId)))
      }

      a.stop(0)
      a.clock.increment(0)
      expect(a.state()).toBe('stopped')
      expect(a.stops).toHaveLength(1)
      const replyCount = new Map<string, number>()
      for (const r of a.replies) replyCount.set(r.taskId, (replyCount.get(r.taskId) ?? 0) + 1)
      for (const id of arrived) expect(replyCount.get(id)).toBe(1)
      expect(replyCount.size).toBe(arrived.length)
    }), { numRuns: 300 })
  })
})
