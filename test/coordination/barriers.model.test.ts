/**
 * Model-based test of a cyclic barrier: arrivals with and without timeouts,
 * aborts, mismatched party counts and time steps, against a model of
 * generations. Checks every waiter's outcome (released with its generation,
 * BARRIER_TIMEOUT, ABORTED, BARRIER_BROKEN, BARRIER_MISMATCH) and that a
 * released or broken generation leaves the barrier reusable.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isZeroStateError, type ErrorCode } from '../../src/errors.ts'
import type { BarrierRelease, Coordination } from '../../src/coordination/types.ts'
import { flush, setup, track } from './helpers.ts'

interface Arrival { id: number, timeoutAt?: number }
interface Model { now: number, nextId: number, generation: number, parties: number, arrivals: Arrival[], outcomes: Map<number, number | ErrorCode> }
interface Real {
  env: ReturnType<typeof setup>
  clients: Coordination[]
  waits: Map<number, { wait: ReturnType<typeof track<BarrierRelease>>, controller: AbortController }>
}

/** The generation ends badly: `leaving` gets `code`, the others BARRIER_BROKEN. */
function breakGeneration (m: Model, leaving: Arrival, code: ErrorCode): void {
  for (const a of m.arrivals) m.outcomes.set(a.id, a === leaving ? code : 'BARRIER_BROKEN')
  m.arrivals = []
  m.generation += 1
}

function check (m: Model, r: Real): void {
  for (const [id, expected] of m.outcomes) {
    const { wait } = r.waits.get(id) as NonNullable<ReturnType<Real['waits']['get']>>
    expect(wait.settled()).toBe(true)
    if (typeof expected === 'number') expect(wait.value()?.generation).toBe(expected)
    else expect(isZeroStateError(wait.error(), expected)).toBe(true)
    r.waits.delete(id)
  }
  m.outcomes.clear()
  for (const a of m.arrivals) expect(r.waits.get(a.id)?.wait.settled()).toBe(false)
}

class Arrive implements fc.AsyncCommand<Model, Real> {
  constructor (readonly party: number, readonly parties: number, readonly timeout: number | undefined) {}
  check (): boolean { return true }
  async run (m: Model, r: Real): Promise<void> {
    const id = m.nextId++
    const controller = new AbortController()
    const options = this.timeout === undefined ? { signal: controller.signal } : { signal: controller.signal, timeout: this.timeout }
    r.waits.set(id, { wait: track(r.clients[this.party].waitAtBarrier('b', this.parties, options)), controller })
    if (m.arrivals.length > 0 && m.parties !== this.parties) {
      m.outcomes.set(id, 'BARRIER_MISMATCH')
    } else {
      m.parties = this.parties
      m.arrivals.push(this.timeout === undefined ? { id } : { id, timeoutAt: m.now + this.timeout })
      if (m.arrivals.length === this.parties) {
        for (const a of m.arrivals) m.outcomes.set(a.id, m.generation)
        m.arrivals = []
        m.generation += 1
      }
    }
    await flush()
    check(m, r)
  }
  toString (): string { return `arrive(p${this.party}, ${this.parties}${this.timeout === undefined ? '' : `, timeout ${this.timeout}`})` }
}

class Abort implements fc.AsyncCommand<Model, Real> {
  constructor (readonly pick: number) {}
  check (m: Readonly<Model>): boolean { return m.arrivals.length > 0 }
  async run (m: Model, r: Real): Promise<void> {
    const leaving = m.arrivals[this.pick % m.arrivals.length]
    r.waits.get(leaving.id)?.controller.abort()
    breakGeneration(m, leaving, 'ABORTED')
    await flush()
    check(m, r)
  }
  toString (): string { return `abort(#${this.pick})` }
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor (readonly ms: number) {}
  check (): boolean { return true }
  async run (m: Model, r: Real): Promise<void> {
    const target = m.now + this.ms
    const first = m.arrivals.filter(a => a.timeoutAt !== undefined && a.timeoutAt <= target)
      .sort((a, b) => (a.timeoutAt as number) - (b.timeoutAt as number))[0]
    if (first !== undefined) {
      m.now = first.timeoutAt as number
      r.env.clock.set(m.now)
      breakGeneration(m, first, 'BARRIER_TIMEOUT')
      await flush()
    }
    m.now = target
    r.env.clock.set(target)
    await flush()
    check(m, r)
  }
  toString (): string { return `advance(${this.ms})` }
}

const PARTIES = 5
const commands = [
  fc.tuple(fc.integer({ min: 0, max: PARTIES - 1 }), fc.integer({ min: 1, max: 4 }), fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }))
    .map(([p, n, t]) => new Arrive(p, n, t === undefined ? undefined : t * 10)),
  fc.nat().map(p => new Abort(p)),
  fc.integer({ min: 1, max: 150 }).map(ms => new Advance(ms))
]

describe('barriers against a model', () => {
  it('agree with a cyclic barrier model: releases, timeouts, aborts, mismatches, reuse', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async cmds => {
        const env = setup()
        const real: Real = { env, clients: Array.from({ length: PARTIES }, (_, i) => env.client(`did:key:p${i}#a`)), waits: new Map() }
        const model: Model = { now: env.clock.now(), nextId: 0, generation: 0, parties: 0, arrivals: [], outcomes: new Map() }
        await fc.asyncModelRun(() => ({ model, real }), cmds)
        env.authority.close()
      }),
      { numRuns: 100 }
    )
  })
})
