import { describe, expect, it } from 'vitest'
import { createActor, SimulatedClock } from 'xstate'
import { barrierMachine, type BarrierEmitted } from '../../machines/barrier.ts'

function start () {
  const clock = new SimulatedClock()
  const actor = createActor(barrierMachine, { clock, input: { name: 'b' } }).start()
  const emitted: BarrierEmitted[] = []
  actor.on('*', e => { emitted.push(e) })
  const arrive = (ticket: string, parties: number, timeout?: number, caller = `c-${ticket}`): void => {
    actor.send({ type: 'ARRIVE', ticket, caller, parties, ...(timeout === undefined ? {} : { timeout }) })
  }
  return { clock, actor, emitted, arrive }
}

describe('barrier machine', () => {
  it('releases every party together when the last one arrives, then starts the next generation', () => {
    const { arrive, emitted, actor } = start()
    arrive('a', 3)
    arrive('b', 3)
    expect(emitted).toEqual([])
    expect(actor.getSnapshot().value).toBe('waiting')
    arrive('c', 3)
    expect(emitted).toEqual([{ type: 'released', generation: 0, parties: 3, tickets: ['a', 'b', 'c'] }])
    expect(actor.getSnapshot().context).toMatchObject({ generation: 1, arrivals: [] })
    arrive('d', 1)
    expect(emitted[1]).toEqual({ type: 'released', generation: 1, parties: 1, tickets: ['d'] })
  })

  it('a timed-out waiter breaks the generation for the others', () => {
    const { arrive, emitted, clock } = start()
    arrive('a', 3, 1000)
    clock.increment(500)
    arrive('b', 3, 1000)
    clock.increment(499)
    expect(emitted).toEqual([])
    clock.increment(1)
    expect(emitted).toEqual([
      { type: 'timedOut', ticket: 'a', generation: 0 },
      { type: 'broken', generation: 0, tickets: ['b'], reason: 'timeout' }
    ])
    clock.increment(10_000)
    expect(emitted).toHaveLength(2)
  })

  it('release cancels the pending timeouts', () => {
    const { arrive, emitted, clock } = start()
    arrive('a', 2, 100)
    arrive('b', 2, 100)
    clock.increment(1000)
    expect(emitted.map(e => e.type)).toEqual(['released'])
  })

  it('an aborted waiter breaks the generation and the barrier is reusable', () => {
    const { arrive, emitted, actor } = start()
    arrive('a', 2)
    actor.send({ type: 'CANCEL', ticket: 'a' })
    expect(emitted).toEqual([{ type: 'aborted', ticket: 'a', generation: 0, reason: 'cancelled' }])
    arrive('b', 2)
    arrive('c', 2)
    expect(emitted[1]).toEqual({ type: 'released', generation: 1, parties: 2, tickets: ['b', 'c'] })
  })

  it('rejects an arrival with a different parties count without joining it', () => {
    const { arrive, emitted } = start()
    arrive('a', 2)
    arrive('b', 3)
    expect(emitted).toEqual([{ type: 'mismatch', ticket: 'b', expected: 2, got: 3 }])
    arrive('c', 2)
    expect(emitted[1]).toMatchObject({ type: 'released', tickets: ['a', 'c'] })
  })

  it('a stopped holder leaving breaks the generation', () => {
    const { arrive, emitted, actor } = start()
    arrive('a', 3, undefined, 'did:key:n1#x')
    arrive('b', 3, undefined, 'did:key:n2#y')
    actor.send({ type: 'RELEASE_HOLDER', holder: 'did:key:n1' })
    expect(emitted).toEqual([
      { type: 'aborted', ticket: 'a', generation: 0, reason: 'holder_stopped' },
      { type: 'broken', generation: 0, tickets: ['b'], reason: 'holder_stopped' }
    ])
  })
})
