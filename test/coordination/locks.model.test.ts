/**
 * Model-based test of locks: random acquire / release / renew / time steps
 * from several holders, run against the real client + authority and an
 * in-memory model of a fair lock. Checks, besides agreement with the model:
 * never two valid exclusive holders (nor exclusive beside shared), fencing
 * tokens strictly increase, waiters are served in order, every expiry is told.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import type { Coordination, LockGrant, LockType } from '../../src/coordination/types.ts'
import { flush, setup, track } from './helpers.ts'

const HOLDERS = 4
const RESOURCE = 'res'

interface Lease { id: number, holder: number, type: LockType, fencing: number, expiresAt: number }
interface Waiter { id: number, holder: number, type: LockType, ttl: number }
interface Model { now: number, nextId: number, lastFencing: number, leases: Lease[], queue: Waiter[], expired: number[], granted: Lease[] }

interface Real {
  env: ReturnType<typeof setup>
  clients: Coordination[]
  live: Map<number, LockGrant>
  pending: Map<number, ReturnType<typeof track<LockGrant>>>
  lost: Set<string>
  maxFencing: number
}

const compatible = (leases: Lease[], type: LockType): boolean => type === 'exclusive' ? leases.length === 0 : leases.every(l => l.type === 'shared')

function admit (m: Model): void {
  while (m.queue.length > 0 && compatible(m.leases, m.queue[0].type)) {
    const w = m.queue.shift() as Waiter
    const lease = { id: w.id, holder: w.holder, type: w.type, fencing: ++m.lastFencing, expiresAt: m.now + w.ttl }
    m.leases.push(lease)
    m.granted.push(lease)
  }
}

/** Compare real grants with the model and check the invariants on what the real side reported. */
function check (m: Model, r: Real): void {
  for (const lease of m.granted.splice(0)) {
    const waiting = r.pending.get(lease.id) as ReturnType<typeof track<LockGrant>>
    expect(waiting.settled()).toBe(true)
    const grant = waiting.value() as LockGrant
    expect(grant).toMatchObject({ fencingToken: lease.fencing, holder: `did:key:h${lease.holder}#a`, type: lease.type })
    expect(grant.fencingToken).toBeGreaterThan(r.maxFencing)
    r.maxFencing = grant.fencingToken
    r.pending.delete(lease.id)
    r.live.set(lease.id, grant)
  }
  for (const lease of m.leases) expect(r.live.get(lease.id)?.expiresAt).toBe(lease.expiresAt)
  for (const w of m.queue) expect(r.pending.get(w.id)?.settled()).toBe(false)
  for (const id of m.expired.splice(0)) {
    const grant = r.live.get(id) as LockGrant
    expect(r.lost.has(grant.token)).toBe(true)
    r.live.delete(id)
  }
  expect([...r.live.keys()].sort()).toEqual(m.leases.map(l => l.id).sort())
  const live = [...r.live.values()].filter(g => !r.lost.has(g.token) && g.expiresAt > r.env.clock.now())
  const exclusive = live.filter(g => g.type === 'exclusive')
  expect(exclusive.length === 0 || live.length === 1).toBe(true)
  const fencings = [...r.live.values()].map(g => g.fencingToken)
  expect(new Set(fencings).size).toBe(fencings.length)
}

class Acquire implements fc.AsyncCommand<Model, Real> {
  constructor (readonly holder: number, readonly type: LockType, readonly ttl: number, readonly wait: boolean) {}
  check (): boolean { return true }
  async run (m: Model, r: Real): Promise<void> {
    const id = m.nextId++
    const immediate = m.queue.length === 0 && compatible(m.leases, this.type)
    const attempt = track(r.clients[this.holder].acquireLock(RESOURCE, { type: this.type, ttl: this.ttl, wait: this.wait, onLost: e => { r.lost.add(e.token) } }))
    await flush()
    if (immediate) {
      m.queue.push({ id, holder: this.holder, type: this.type, ttl: this.ttl })
      r.pending.set(id, attempt)
      admit(m)
    } else if (!this.wait) {
      expect(isZeroStateError(attempt.error(), 'LOCK_CONFLICT')).toBe(true)
    } else {
      m.queue.push({ id, holder: this.holder, type: this.type, ttl: this.ttl })
      r.pending.set(id, attempt)
    }
    check(m, r)
  }
  toString (): string { return `acquire(h${this.holder}, ${this.type}, ttl ${this.ttl}, wait ${String(this.wait)})` }
}

class Release implements fc.AsyncCommand<Model, Real> {
  constructor (readonly pick: number) {}
  check (m: Readonly<Model>): boolean { return m.leases.length > 0 }
  async run (m: Model, r: Real): Promise<void> {
    const lease = m.leases[this.pick % m.leases.length]
    const grant = r.live.get(lease.id) as LockGrant
    await r.clients[lease.holder].releaseLock(grant.token)
    r.live.delete(lease.id)
    m.leases = m.leases.filter(l => l !== lease)
    admit(m)
    await flush()
    check(m, r)
  }
  toString (): string { return `release(#${this.pick})` }
}

class Renew implements fc.AsyncCommand<Model, Real> {
  constructor (readonly pick: number, readonly ttl: number) {}
  check (m: Readonly<Model>): boolean { return m.leases.length > 0 }
  async run (m: Model, r: Real): Promise<void> {
    const lease = m.leases[this.pick % m.leases.length]
    const grant = r.live.get(lease.id) as LockGrant
    const renewed = await r.clients[lease.holder].renewLock(grant.token, this.ttl)
    lease.expiresAt = m.now + this.ttl
    expect(renewed).toMatchObject({ token: grant.token, fencingToken: lease.fencing, expiresAt: lease.expiresAt })
    r.live.set(lease.id, renewed)
    check(m, r)
  }
  toString (): string { return `renew(#${this.pick}, ttl ${this.ttl})` }
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor (readonly ms: number) {}
  check (): boolean { return true }
  async run (m: Model, r: Real): Promise<void> {
    const target = m.now + this.ms
    for (;;) {
      const due = m.leases.filter(l => l.expiresAt <= target)
      if (due.length === 0) break
      const at = Math.min(...due.map(l => l.expiresAt))
      m.now = at
      r.env.clock.set(at)
      await flush()
      for (const l of m.leases.filter(l => l.expiresAt === at)) m.expired.push(l.id)
      m.leases = m.leases.filter(l => l.expiresAt !== at)
      admit(m)
    }
    m.now = target
    r.env.clock.set(target)
    await flush()
    check(m, r)
  }
  toString (): string { return `advance(${this.ms})` }
}

const commands = [
  fc.tuple(fc.integer({ min: 0, max: HOLDERS - 1 }), fc.constantFrom<LockType>('exclusive', 'shared'), fc.integer({ min: 1, max: 50 }), fc.boolean())
    .map(([h, t, ttl, wait]) => new Acquire(h, t, ttl * 10, wait)),
  fc.nat().map(p => new Release(p)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 50 })).map(([p, ttl]) => new Renew(p, ttl * 10)),
  fc.integer({ min: 1, max: 300 }).map(ms => new Advance(ms))
]

describe('locks against a model', () => {
  it('agree with a fair FIFO lock model; never two valid exclusive holders; fencing strictly increases', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async cmds => {
        const env = setup()
        const real: Real = {
          env,
          clients: Array.from({ length: HOLDERS }, (_, i) => env.client(`did:key:h${i}#a`)),
          live: new Map(),
          pending: new Map(),
          lost: new Set(),
          maxFencing: 0
        }
        const model: Model = { now: env.clock.now(), nextId: 0, lastFencing: 0, leases: [], queue: [], expired: [], granted: [] }
        await fc.asyncModelRun(() => ({ model, real }), cmds)
        env.authority.close()
      }),
      { numRuns: 150 }
    )
  })
})
