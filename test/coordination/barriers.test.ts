import { describe, expect, it } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import { flush, setup, track } from './helpers.ts'

const party = (i: number): string => `did:key:z${i}#agent`

describe('barriers through the client and the local authority', () => {
  it('releases every party together once the last arrives, then is reusable', async () => {
    const { client, registry } = setup()
    const first = [0, 1].map(i => track(client(party(i)).waitAtBarrier('compile', 3)))
    await flush()
    expect(first.some(w => w.settled())).toBe(false)
    const last = await client(party(2)).waitAtBarrier('compile', 3)
    expect(last).toEqual({ name: 'compile', generation: 0, parties: 3 })
    expect(await Promise.all(first.map(async w => await w.promise))).toEqual([last, last])
    const next = await Promise.all([0, 1].map(async i => await client(party(i)).waitAtBarrier('compile', 2)))
    expect(next.map(r => r.generation)).toEqual([1, 1])
    expect(await registry.getSingleMetricAsString('zerostate_coordination_barrier_waits_total')).toContain('outcome="released"} 5')
  })

  it('a party that times out gets BARRIER_TIMEOUT and breaks the barrier for the others', async () => {
    const { client, clock } = setup()
    const patient = track(client(party(0)).waitAtBarrier('b', 3))
    const hasty = track(client(party(1)).waitAtBarrier('b', 3, { timeout: 500 }))
    await flush()
    clock.increment(500)
    await flush()
    expect(isZeroStateError(hasty.error(), 'BARRIER_TIMEOUT')).toBe(true)
    expect(isZeroStateError(patient.error(), 'BARRIER_BROKEN')).toBe(true)
    const again = await Promise.all([0, 1].map(async i => await client(party(i)).waitAtBarrier('b', 2)))
    expect(again[0].generation).toBe(1)
  })

  it('a party that aborts gets ABORTED and breaks the barrier for the others', async () => {
    const { client } = setup()
    const controller = new AbortController()
    const staying = track(client(party(0)).waitAtBarrier('b', 3))
    const leaving = track(client(party(1)).waitAtBarrier('b', 3, { signal: controller.signal }))
    await flush()
    controller.abort()
    await flush()
    expect(isZeroStateError(leaving.error(), 'ABORTED')).toBe(true)
    expect(isZeroStateError(staying.error(), 'BARRIER_BROKEN')).toBe(true)
  })

  it('a party naming another parties count gets BARRIER_MISMATCH and the others keep waiting', async () => {
    const { client } = setup()
    const waiting = track(client(party(0)).waitAtBarrier('b', 2))
    const err = await client(party(1)).waitAtBarrier('b', 5).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'BARRIER_MISMATCH')).toBe(true)
    expect(waiting.settled()).toBe(false)
    await client(party(2)).waitAtBarrier('b', 2)
    expect((await waiting.promise).generation).toBe(0)
  })

  it('a stopped holder leaving breaks the barrier', async () => {
    const { client, authority } = setup()
    const staying = track(client(party(0)).waitAtBarrier('b', 3))
    const stopped = track(client(party(1)).waitAtBarrier('b', 3))
    await flush()
    authority.releaseHolder(party(1))
    await flush()
    expect(isZeroStateError(stopped.error(), 'ABORTED')).toBe(true)
    expect(isZeroStateError(staying.error(), 'BARRIER_BROKEN')).toBe(true)
  })

  it('one party is released at once', async () => {
    const { client } = setup()
    expect(await client(party(0)).waitAtBarrier('solo', 1)).toEqual({ name: 'solo', generation: 0, parties: 1 })
  })
})
