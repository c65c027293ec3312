import { afterAll, describe, expect, it, vi } from 'vitest'
import { pino } from 'pino'
import { setup } from 'xstate'
import { isZeroStateError } from '../../src/errors.ts'
import type { ZeroStateNode } from '../../src/index.ts'
import { startMesh, stopAll } from '../helpers/mesh.ts'

const started: ZeroStateNode[] = []
afterAll(async () => { await stopAll(started) })

async function codeOf (promise: Promise<unknown>): Promise<string> {
  try { await promise } catch (err) { return isZeroStateError(err) ? err.code : `untyped: ${String(err)}` }
  return 'resolved'
}

function count (codes: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of codes) out[c] = (out[c] ?? 0) + 1
  return out
}

/** A state-chart agent whose logic throws on every task. */
function crashingLogic (onTask: () => void) {
  return setup({ actions: { crash: () => { onTask(); throw new Error('boom') } } }).createMachine({ on: { 'zerostate.task': { actions: 'crash' } } })
}

describe('an agent that crashes on every task', () => {
  const cases = [
    { form: 'async handler', concurrency: 1 },
    { form: 'async handler', concurrency: 4 },
    { form: 'sync handler', concurrency: 2 },
    { form: 'state chart', concurrency: 2 }
  ] as const
  for (const { form, concurrency } of cases) {
    it(`answers all 20 queued callers (HANDLER_ERROR, then AGENT_STOPPED) and leaves the directory (${form}, concurrency ${concurrency})`, async () => {
      const nodes = await startMesh(2, { heartbeatMs: 100, logger: pino({ level: 'silent' }) })
      started.push(...nodes)
      const [a, b] = nodes as [ZeroStateNode, ZeroStateNode]
      let started_ = 0
      const agent = await b.spawnAgent({
        name: 'crashy',
        capabilities: ['crash'],
        concurrency,
        supervision: { maxRestarts: 2, withinMs: 10_000, backoffMs: 5, maxBackoffMs: 20 },
        ...form === 'async handler'
          ? { handle: async () => { started_++; await new Promise(resolve => { setImmediate(resolve) }); throw new Error('boom') } }
          : form === 'sync handler'
            ? { handle: () => { started_++; throw new Error('boom') } }
            : { logic: crashingLogic(() => { started_++ }) }
      })
      await vi.waitFor(() => { expect(a.directory.get(agent.id)).toBeDefined() })
      const stopped = new Promise(resolve => { b.internals.onAgent(e => { if (e.type === 'stopped') resolve(e.reason) }) })
      const t0 = Date.now()
      const calls = [
        ...Array.from({ length: 10 }, () => codeOf(a.bus.request(agent.id, 'x', { timeout: 5000 }))),
        ...Array.from({ length: 5 }, () => codeOf(b.bus.request(agent.id, 'x', { timeout: 5000 }))),
        ...Array.from({ length: 5 }, () => codeOf(a.bus.request(agent.id, 'x', { timeout: 5000, delivery: 'EXACTLY_ONCE' })))
      ]
      const codes = await Promise.all(calls)
      expect(Date.now() - t0).toBeLessThan(3000)
      const tally = count(codes)
      expect(Object.keys(tally).sort()).toEqual(['AGENT_STOPPED', 'HANDLER_ERROR'])
      expect(tally.HANDLER_ERROR).toBeGreaterThanOrEqual(3)
      expect(tally.HANDLER_ERROR).toBeLessThanOrEqual(3 * concurrency)
      // every task that started was answered HANDLER_ERROR (a state chart's crash also fails the task dispatched beside it in the same turn)
      expect(started_).toBeGreaterThanOrEqual(3)
      expect(started_).toBeLessThanOrEqual(tally.HANDLER_ERROR!)
      if (form !== 'state chart') expect(started_).toBe(tally.HANDLER_ERROR)
      expect(await stopped).toBe('restart-limit')
      await vi.waitFor(() => { expect(a.directory.get(agent.id)).toBeUndefined() })
      expect(b.directory.get(agent.id)).toBeUndefined()
      expect(await codeOf(a.bus.request(agent.id, 'x', { timeout: 2000 }))).toMatch(/^(AGENT_NOT_FOUND|AGENT_STOPPED)$/)
      expect(await codeOf(a.bus.request({ capability: 'crash' }, 'x', { timeout: 2000 }))).toBe('NO_AGENT')
    })
  }
})
