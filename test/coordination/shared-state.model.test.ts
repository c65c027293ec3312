/**
 * Model-based test of shared state: compare-and-set writes with right and
 * wrong expected versions, bursts of concurrent field updates, and reads,
 * against a model of one versioned value. Checks: versions strictly increase
 * by one per commit, no update is lost, and a watcher sees every version in order.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { StateConflictError } from '../../src/errors.ts'
import type { Coordination, SharedState } from '../../src/coordination/types.ts'
import { setup } from './helpers.ts'

const KEY = 'counter'
type Value = { count: number }
interface Model { version: number, value: Value | undefined }
interface Real { clients: Coordination[], seen: Array<SharedState<Value>> }

function checkWatcher (m: Model, r: Real): void {
  expect(r.seen.map(s => s.version)).toEqual(Array.from({ length: m.version }, (_, i) => i + 1))
  expect(r.seen.at(-1)?.value).toEqual(m.value)
}

class SetValue implements fc.AsyncCommand<Model, Real> {
  constructor (readonly holder: number, readonly count: number, readonly offset: number) {}
  check (): boolean { return true }
  async run (m: Model, r: Real): Promise<void> {
    const expected = Math.max(0, m.version + this.offset)
    const outcome = await r.clients[this.holder].setState(KEY, { count: this.count }, expected).catch((e: unknown) => e)
    if (expected === m.version) {
      m.version += 1
      m.value = { count: this.count }
      expect(outcome).toMatchObject({ version: m.version, value: m.value })
    } else {
      expect(outcome).toBeInstanceOf(StateConflictError)
      expect((outcome as StateConflictError).currentVersion).toBe(m.version)
    }
    checkWatcher(m, r)
  }
  toString (): string { return `set(h${this.holder}, ${this.count}, expected ${this.offset >= 0 ? '+' : ''}${this.offset})` }
}

class ConcurrentIncrements implements fc.AsyncCommand<Model, Real> {
  constructor (readonly perHolder: number[]) {}
  check (): boolean { return true }
  async run (m: Model, r: Real): Promise<void> {
    await Promise.all(this.perHolder.map(async (times, h) => {
      for (let i = 0; i < times; i++) {
        await r.clients[h].updateState(KEY, 'count', (n: unknown) => ((n as number | undefined) ?? 0) + 1, { backoffMs: 0, maxRetries: 1000 })
      }
    }))
    const total = this.perHolder.reduce((a, b) => a + b, 0)
    m.version += total
    // No increments: nothing was written (the key may still not exist).
    if (total > 0) m.value = { count: (m.value?.count ?? 0) + total }
    expect((await r.clients[0].getState<Value>(KEY))?.value).toEqual(m.value)
    checkWatcher(m, r)
  }
  toString (): string { return `increments(${this.perHolder.join(',')})` }
}

class Get implements fc.AsyncCommand<Model, Real> {
  constructor (readonly holder: number) {}
  check (): boolean { return true }
  async run (m: Model, r: Real): Promise<void> {
    const state = await r.clients[this.holder].getState<Value>(KEY)
    if (m.value === undefined) expect(state).toBeUndefined()
    else expect(state).toMatchObject({ version: m.version, value: m.value })
  }
  toString (): string { return `get(h${this.holder})` }
}

const HOLDERS = 4
const holder = fc.integer({ min: 0, max: HOLDERS - 1 })
const commands = [
  fc.tuple(holder, fc.integer({ min: -5, max: 5 }), fc.integer({ min: -1, max: 1 })).map(([h, c, o]) => new SetValue(h, c, o)),
  fc.array(fc.integer({ min: 0, max: 3 }), { minLength: HOLDERS, maxLength: HOLDERS }).map(p => new ConcurrentIncrements(p)),
  holder.map(h => new Get(h))
]

describe('shared state against a model', () => {
  it('agrees with a single versioned value: no lost update, versions +1 per commit, watchers see every version', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async cmds => {
        const env = setup()
        const clients = Array.from({ length: HOLDERS }, (_, i) => env.client(`did:key:h${i}#a`))
        const seen: Array<SharedState<Value>> = []
        const watch = env.client('did:key:watcher').watchState<Value>(KEY, s => { seen.push(s) })
        await watch.ready
        await fc.asyncModelRun(() => ({ model: { version: 0, value: undefined }, real: { clients, seen } }), cmds)
        env.authority.close()
      }),
      { numRuns: 60 }
    )
  })
})
