import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createActor, SimulatedClock } from 'xstate'
import { lockMachine, type LockEmitted, type LockEvent } from '../../machines/lock.ts'

function start (lastFencingToken = 0) {
  const clock = new SimulatedClock()
  const actor = createActor(lockMachine, { clock, input: { resource: 'db', lastFencingToken } }).start()
  const emitted: LockEmitted[] = []
  actor.on('*', e => { emitted.push(e) })
  let n = 0
  const acquire = (holder: string, lockType: 'exclusive' | 'shared', ttl = 1000, wait = true): string => {
    n += 1
    actor.send({ type: 'ACQUIRE', ticket: `t${n}`, token: `k${n}`, holder, lockType, ttl, wait })
    return `k${n}`
  }
  const send = (event: LockEvent): void => { actor.send(event) }
  const of = <T extends LockEmitted['type']>(type: T) => emitted.filter((e): e is Extract<LockEmitted, { type: T }> => e.type === type)
  return { clock, actor, emitted, acquire, send, of }
}

describe('lock machine', () => {
  it('grants a free lock at once with the next fencing token', () => {
    const { acquire, of, actor } = start(41)
    acquire('a', 'exclusive')
    expect(of('granted')).toMatchObject([{ ticket: 't1', token: 'k1', holder: 'a', fencingToken: 42, queued: false }])
    expect(actor.getSnapshot().value).toBe('held')
  })

  it('admits several shared holders but no exclusive one beside them', () => {
    const { acquire, of } = start()
    acquire('a', 'shared')
    acquire('b', 'shared')
    acquire('c', 'exclusive', 1000, false)
    expect(of('granted').map(g => g.holder)).toEqual(['a', 'b'])
    expect(of('conflict')).toEqual([{ type: 'conflict', ticket: 't3', lockType: 'exclusive' }])
  })

  it('queues an exclusive waiter ahead of later shared requests (no starvation)', () => {
    const { acquire, of, send } = start()
    const a = acquire('a', 'shared')
    acquire('b', 'exclusive')
    acquire('c', 'shared')
    expect(of('granted').map(g => g.holder)).toEqual(['a'])
    expect(of('queued').map(q => q.position)).toEqual([0, 1])
    send({ type: 'RELEASE', ticket: 'r', token: a })
    expect(of('granted').map(g => g.holder)).toEqual(['a', 'b'])
    send({ type: 'RELEASE', ticket: 'r2', token: of('granted')[1].token })
    expect(of('granted').map(g => [g.holder, g.fencingToken, g.queued])).toEqual([['a', 1, false], ['b', 2, true], ['c', 3, true]])
  })

  it('expires a lease after its ttl, reports the loss and wakes the next waiter', () => {
    const { acquire, of, clock, actor } = start()
    acquire('a', 'exclusive', 500)
    acquire('b', 'exclusive', 500)
    clock.increment(499)
    expect(of('lost')).toEqual([])
    clock.increment(1)
    expect(of('lost')).toMatchObject([{ holder: 'a', fencingToken: 1, reason: 'expired' }])
    expect(of('granted').map(g => [g.holder, g.fencingToken])).toEqual([['a', 1], ['b', 2]])
    clock.increment(500)
    expect(actor.getSnapshot().value).toBe('free')
  })

  it('renewal pushes the expiry back by the new ttl', () => {
    const { acquire, of, clock, send } = start()
    const token = acquire('a', 'exclusive', 500)
    clock.increment(400)
    send({ type: 'RENEW', ticket: 'r', token, ttl: 500 })
    expect(of('renewed')).toMatchObject([{ ticket: 'r', token, ttl: 500, fencingToken: 1 }])
    clock.increment(499)
    expect(of('lost')).toEqual([])
    clock.increment(1)
    expect(of('lost')).toHaveLength(1)
  })

  it('answers release and renew of an unknown token with notHeld', () => {
    const { send, of } = start()
    send({ type: 'RELEASE', ticket: 'r1', token: 'nope' })
    send({ type: 'RENEW', ticket: 'r2', token: 'nope', ttl: 10 })
    expect(of('notHeld').map(e => e.ticket)).toEqual(['r1', 'r2'])
  })

  it('a released lease does not expire later', () => {
    const { acquire, send, clock, of } = start()
    const token = acquire('a', 'exclusive', 100)
    send({ type: 'RELEASE', ticket: 'r', token })
    clock.increment(1000)
    expect(of('lost')).toEqual([])
    expect(of('released')).toHaveLength(1)
  })

  it('withdrawing a queued exclusive request lets the shared requests behind it in', () => {
    const { acquire, send, of } = start()
    acquire('a', 'shared')
    acquire('b', 'exclusive')
    acquire('c', 'shared')
    send({ type: 'CANCEL', ticket: 't2' })
    expect(of('withdrawn')).toEqual([{ type: 'withdrawn', ticket: 't2', reason: 'cancelled' }])
    expect(of('granted').map(g => g.holder)).toEqual(['a', 'c'])
  })

  it('releasing a node releases the leases and requests of all its agents', () => {
    const { acquire, send, of } = start()
    acquire('did:key:n1#a', 'exclusive')
    acquire('did:key:n1#b', 'exclusive')
    acquire('did:key:n2#c', 'exclusive')
    send({ type: 'RELEASE_HOLDER', holder: 'did:key:n1' })
    expect(of('lost')).toMatchObject([{ holder: 'did:key:n1#a', reason: 'holder_stopped' }])
    expect(of('withdrawn')).toMatchObject([{ ticket: 't2', reason: 'holder_stopped' }])
    expect(of('granted').map(g => g.holder)).toEqual(['did:key:n1#a', 'did:key:n2#c'])
  })

  it('is in state held exactly while someone holds the lease, whatever the events (and nobody waits on a free lock)', () => {
    const holders = ['did:key:n1#a', 'did:key:n1#b', 'did:key:n2#c']
    const step = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), holder: fc.constantFrom(...holders), shared: fc.boolean(), ttl: fc.integer({ min: 1, max: 50 }), wait: fc.boolean() }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('releaseHolder' as const), holder: fc.constantFrom('did:key:n1', ...holders) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 30 }) })
    )
    fc.assert(fc.property(fc.array(step, { maxLength: 40 }), steps => {
      const { acquire, send, clock, actor } = start()
      for (const s of steps) {
        const { holders: held, waiters } = actor.getSnapshot().context
        if (s.kind === 'acquire') acquire(s.holder, s.shared ? 'shared' : 'exclusive', s.ttl, s.wait)
        else if (s.kind === 'release') send({ type: 'RELEASE', ticket: 'r', token: held.length === 0 ? 'none' : held[s.pick % held.length].token })
        else if (s.kind === 'cancel') send({ type: 'CANCEL', ticket: waiters.length === 0 ? 'none' : waiters[s.pick % waiters.length].ticket })
        else if (s.kind === 'releaseHolder') send({ type: 'RELEASE_HOLDER', holder: s.holder })
        else clock.increment(s.ms)
        const snapshot = actor.getSnapshot()
        expect(snapshot.value).toBe(snapshot.context.holders.length > 0 ? 'held' : 'free')
        if (snapshot.context.holders.length === 0) expect(snapshot.context.waiters).toEqual([])
      }
    }))
  })
})
