import { describe, expect, it } from 'vitest'
import { StateConflictError, isZeroStateError } from '../../src/errors.ts'
import type { SharedState } from '../../src/coordination/types.ts'
import { flush, setup } from './helpers.ts'

const A = 'did:key:zA#agent'
const B = 'did:key:zB#agent'

describe('shared state through the client and the local authority', () => {
  it('an unknown key reads as undefined', async () => {
    const { client } = setup()
    expect(await client(A).getState('missing')).toBeUndefined()
  })

  it('creates a key with expected version 0 and stamps writer and time', async () => {
    const { client, clock } = setup()
    const state = await client(A).setState('config', { mode: 'fast' })
    expect(state).toEqual({ key: 'config', value: { mode: 'fast' }, version: 1, updatedBy: A, updatedAt: clock.now() })
    expect(await client(B).getState('config')).toEqual(state)
  })

  it('a stale compare-and-set fails with STATE_CONFLICT carrying the current version', async () => {
    const { client, registry } = setup()
    await client(A).setState('k', 1)
    await client(A).setState('k', 2, 1)
    const err = await client(B).setState('k', 3, 1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StateConflictError)
    expect((err as StateConflictError).currentVersion).toBe(2)
    const create = await client(B).setState('k', 3).catch((e: unknown) => e)
    expect(isZeroStateError(create, 'STATE_CONFLICT')).toBe(true)
    expect(await registry.getSingleMetricAsString('zerostate_coordination_state_conflicts_total')).toMatch(/ 2$/m)
  })

  it('stored values cannot be changed through the objects handed in or out', async () => {
    const { client } = setup()
    const value = { list: [1] }
    const state = await client(A).setState('k', value)
    value.list.push(2)
    state.value.list.push(3)
    expect((await client(A).getState<{ list: number[] }>('k'))?.value).toEqual({ list: [1] })
  })

  it('concurrent field updates from many holders lose no update', async () => {
    const { client } = setup()
    const holders = Array.from({ length: 10 }, (_, i) => client(`did:key:z${i}#agent`))
    await Promise.all(holders.map(async holder => {
      for (let i = 0; i < 20; i++) await holder.updateState('counter', 'count', (n: unknown) => ((n as number | undefined) ?? 0) + 1)
    }))
    const final = await client(A).getState<{ count: number }>('counter')
    expect(final?.value.count).toBe(200)
    expect(final?.version).toBe(200)
  })

  it('updateState keeps the other fields and sets a plain value', async () => {
    const { client } = setup()
    await client(A).setState('cfg', { a: 1, b: 2 })
    const state = await client(A).updateState('cfg', 'b', 3)
    expect(state).toMatchObject({ value: { a: 1, b: 3 }, version: 2 })
  })

  it('updateState gives up with STATE_RETRIES_EXHAUSTED when every attempt conflicts', async () => {
    const { client } = setup()
    const writer = client(B)
    await writer.setState('hot', { n: 0 })
    let version = 1
    const err = await client(A).updateState('hot', 'n', (n: unknown) => {
      // a competing write lands between every read and write
      void writer.setState('hot', { n: -1 }, version).then(s => { version = s.version })
      return (n as number) + 1
    }, { maxRetries: 3, backoffMs: 0 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'STATE_RETRIES_EXHAUSTED')).toBe(true)
  })

  it('updateState refuses a key that holds no object', async () => {
    const { client } = setup()
    await client(A).setState('n', 5)
    const err = await client(A).updateState('n', 'x', 1).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'INVALID_ARGUMENT')).toBe(true)
  })

  it('watchState delivers every committed version in order, from registration on, until unsubscribed', async () => {
    const { client } = setup()
    const writer = client(B)
    await writer.setState('k', 'before')
    const seen: Array<SharedState<string>> = []
    const stop = client(A).watchState<string>('k', s => { seen.push(s) })
    await stop.ready
    let version = 1
    for (const value of ['a', 'b', 'c']) version = (await writer.setState('k', value, version)).version
    expect(seen.map(s => [s.version, s.value])).toEqual([[2, 'a'], [3, 'b'], [4, 'c']])
    stop()
    await flush()
    await writer.setState('k', 'after', version)
    expect(seen).toHaveLength(3)
  })

  it('two watchers of one key on one client both see each version once', async () => {
    const { client } = setup()
    const watcher = client(A)
    const one: number[] = []
    const two: number[] = []
    const w1 = watcher.watchState('k', s => { one.push(s.version) })
    const w2 = watcher.watchState('k', s => { two.push(s.version) })
    await Promise.all([w1.ready, w2.ready])
    await client(B).setState('k', 1)
    w1()
    await client(B).setState('k', 2, 1)
    expect(one).toEqual([1])
    expect(two).toEqual([1, 2])
  })
})
