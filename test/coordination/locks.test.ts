import { describe, expect, it, vi } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import { flush, setup, track } from './helpers.ts'

const A = 'did:key:zA#agent'
const B = 'did:key:zB#agent'
const C = 'did:key:zC#agent'

describe('locks through the client and the local authority', () => {
  it('grants a free exclusive lock with its fencing token, holder and expiry', async () => {
    const { client, clock } = setup()
    const grant = await client(A).acquireLock('db', { ttl: 5000 })
    expect(grant).toMatchObject({ resource: 'db', type: 'exclusive', fencingToken: 1, holder: A, expiresAt: clock.now() + 5000 })
    expect(grant.token).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('fails at once with LOCK_CONFLICT when wait is false and the lock is held', async () => {
    const { client } = setup()
    await client(A).acquireLock('db', { ttl: 5000 })
    const err = await client(B).acquireLock('db', { ttl: 5000, wait: false }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'LOCK_CONFLICT')).toBe(true)
  })

  it('serves waiters first-come first-served with ever larger fencing tokens', async () => {
    const { client } = setup()
    const a = await client(A).acquireLock('db', { ttl: 5000 })
    const b = track(client(B).acquireLock('db', { ttl: 5000 }))
    const c = track(client(C).acquireLock('db', { ttl: 5000 }))
    await flush()
    expect(b.settled() || c.settled()).toBe(false)
    await client(A).releaseLock(a.token)
    const bGrant = await b.promise
    expect(c.settled()).toBe(false)
    await client(B).releaseLock(bGrant.token)
    const cGrant = await c.promise
    expect([a.fencingToken, bGrant.fencingToken, cGrant.fencingToken]).toEqual([1, 2, 3])
  })

  it('lets shared holders in together and keeps a queued exclusive waiter ahead of later shared ones', async () => {
    const { client } = setup()
    const s1 = await client(A).acquireLock('db', { ttl: 5000, type: 'shared' })
    const s2 = await client(B).acquireLock('db', { ttl: 5000, type: 'shared' })
    const x = track(client(C).acquireLock('db', { ttl: 5000 }))
    const s3 = track(client(A).acquireLock('db', { ttl: 5000, type: 'shared' }))
    await flush()
    expect(x.settled() || s3.settled()).toBe(false)
    await client(A).releaseLock(s1.token)
    await client(B).releaseLock(s2.token)
    const xGrant = await x.promise
    await flush()
    expect(s3.settled()).toBe(false)
    await client(C).releaseLock(xGrant.token)
    expect((await s3.promise).fencingToken).toBe(4)
  })

  it('an expired lease is released, its holder told through onLost and the event, and renewal then fails with LOCK_LOST', async () => {
    const { client, clock, registry } = setup()
    const holder = client(A)
    const onLost = vi.fn()
    const events = vi.fn()
    holder.on('lockLost', events)
    const grant = await holder.acquireLock('db', { ttl: 1000, onLost })
    const next = track(client(B).acquireLock('db', { ttl: 1000 }))
    clock.increment(999)
    await flush()
    expect(onLost).not.toHaveBeenCalled()
    clock.increment(1)
    await flush()
    const lost = { resource: 'db', token: grant.token, fencingToken: 1, reason: 'expired' }
    expect(onLost).toHaveBeenCalledWith(lost)
    expect(events).toHaveBeenCalledWith(lost)
    expect((await next.promise).fencingToken).toBe(2)
    const renewErr = await holder.renewLock(grant.token, 1000).catch((e: unknown) => e)
    expect(isZeroStateError(renewErr, 'LOCK_LOST')).toBe(true)
    const releaseErr = await holder.releaseLock(grant.token).catch((e: unknown) => e)
    expect(isZeroStateError(releaseErr, 'LOCK_LOST')).toBe(true)
    expect(await registry.getSingleMetricAsString('zerostate_coordination_lock_expiries_total')).toContain('type="exclusive"} 1')
  })

  it('renewal pushes the expiry back', async () => {
    const { client, clock } = setup()
    const holder = client(A)
    const onLost = vi.fn()
    const grant = await holder.acquireLock('db', { ttl: 1000, onLost })
    clock.increment(800)
    const renewed = await holder.renewLock(grant.token, 1000)
    expect(renewed).toMatchObject({ token: grant.token, fencingToken: 1, expiresAt: clock.now() + 1000 })
    clock.increment(999)
    await flush()
    expect(onLost).not.toHaveBeenCalled()
    clock.increment(1)
    await flush()
    expect(onLost).toHaveBeenCalledOnce()
  })

  it('releasing an unknown token fails with LOCK_NOT_HELD', async () => {
    const { client } = setup()
    const err = await client(A).releaseLock('no-such-token').catch((e: unknown) => e)
    expect(isZeroStateError(err, 'LOCK_NOT_HELD')).toBe(true)
  })

  it('fencing tokens keep increasing after the resource actor went idle and was stopped', async () => {
    const { client, host } = setup({ keepIdleActors: 0 })
    const first = await client(A).acquireLock('db', { ttl: 1000 })
    await client(A).releaseLock(first.token)
    await flush()
    expect(host.size()).toBe(0)
    const second = await client(B).acquireLock('db', { ttl: 1000 })
    expect(second.fencingToken).toBe(2)
  })

  it('keeps only the most recently used idle lock actors alive', async () => {
    const { client, host } = setup({ keepIdleActors: 2 })
    for (const resource of ['a', 'b', 'c', 'd']) {
      const lock = await client(A).acquireLock(resource, { ttl: 1000 })
      await client(A).releaseLock(lock.token)
    }
    await flush()
    expect(host.size()).toBe(2)
    const again = await client(A).acquireLock('a', { ttl: 1000 })
    expect(again.fencingToken).toBe(2)
  })

  it('a retried acquire with the same request id returns the same grant and never grants twice', async () => {
    const { authority } = setup()
    const op = { op: 'lock.acquire', resource: 'db', type: 'exclusive', ttl: 1000, wait: false } as const
    const first = await authority.execute(op, { caller: A, requestId: 'r1' })
    const again = await authority.execute(op, { caller: A, requestId: 'r1' })
    expect(again).toEqual(first)
    const other = await authority.execute(op, { caller: A, requestId: 'r2' })
    expect(other).toMatchObject({ ok: false, error: { code: 'LOCK_CONFLICT' } })
  })

  it('aborting a waiting acquire withdraws it, and the lock goes to the next waiter', async () => {
    const { client } = setup()
    const a = await client(A).acquireLock('db', { ttl: 5000 })
    const controller = new AbortController()
    const b = track(client(B).acquireLock('db', { ttl: 5000, signal: controller.signal }))
    const c = track(client(C).acquireLock('db', { ttl: 5000 }))
    controller.abort()
    await flush()
    expect(isZeroStateError(b.error(), 'ABORTED')).toBe(true)
    await client(A).releaseLock(a.token)
    expect((await c.promise).holder).toBe(C)
  })

  it('a wait timeout fails with TIMEOUT and leaves the queue', async () => {
    const { client } = setup()
    const a = await client(A).acquireLock('db', { ttl: 60_000 })
    const err = await client(B).acquireLock('db', { ttl: 5000, timeout: 20 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'TIMEOUT')).toBe(true)
    await client(A).releaseLock(a.token)
    expect((await client(C).acquireLock('db', { ttl: 10, wait: false })).fencingToken).toBe(2)
  })

  it('cancelling a request that was already granted releases the grant', async () => {
    const { authority, client } = setup()
    const op = { op: 'lock.acquire', resource: 'db', type: 'exclusive', ttl: 1000, wait: true } as const
    await authority.execute(op, { caller: A, requestId: 'r1' })
    expect(await authority.execute({ op: 'cancel', requestId: 'r1' }, { caller: A, requestId: 'c1' })).toEqual({ ok: true, value: { cancelled: true } })
    expect((await client(B).acquireLock('db', { ttl: 1000, wait: false })).fencingToken).toBe(2)
    expect(await authority.execute(op, { caller: A, requestId: 'r1' })).toMatchObject({ ok: false, error: { code: 'ABORTED' } })
  })

  it('a cancel that overtakes its request blocks the request', async () => {
    const { authority } = setup()
    await authority.execute({ op: 'cancel', requestId: 'r9' }, { caller: A, requestId: 'c9' })
    const late = await authority.execute({ op: 'lock.acquire', resource: 'db', type: 'exclusive', ttl: 1000, wait: true }, { caller: A, requestId: 'r9' })
    expect(late).toMatchObject({ ok: false, error: { code: 'ABORTED' } })
  })

  it('releasing a node releases the locks of all its agents and withdraws their waits', async () => {
    const { client, authority } = setup()
    const onLost = vi.fn()
    await client('did:key:zA#one').acquireLock('db', { ttl: 60_000, onLost })
    const waiting = track(client('did:key:zA#two').acquireLock('db', { ttl: 60_000 }))
    const other = track(client(B).acquireLock('db', { ttl: 60_000 }))
    await flush()
    authority.releaseHolder('did:key:zA')
    await flush()
    expect(onLost).toHaveBeenCalledWith(expect.objectContaining({ reason: 'holder_stopped' }))
    expect(isZeroStateError(waiting.error(), 'ABORTED')).toBe(true)
    expect((await other.promise).fencingToken).toBe(2)
  })

  it('rejects invalid arguments with INVALID_ARGUMENT', async () => {
    const { client } = setup()
    const err = await client(A).acquireLock('db', { ttl: -1 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'INVALID_ARGUMENT')).toBe(true)
  })

  it('a closed authority fails its waiters and later calls with COORDINATOR_UNAVAILABLE', async () => {
    const { client, authority } = setup()
    await client(A).acquireLock('db', { ttl: 5000 })
    const waiting = track(client(B).acquireLock('db', { ttl: 5000 }))
    await flush()
    authority.close()
    await flush()
    expect(isZeroStateError(waiting.error(), 'COORDINATOR_UNAVAILABLE')).toBe(true)
    const later = await client(C).getState('x').catch((e: unknown) => e)
    expect(isZeroStateError(later, 'COORDINATOR_UNAVAILABLE')).toBe(true)
  })

  it('counts grants, releases, conflicts and wait time', async () => {
    const { client, registry } = setup()
    const a = await client(A).acquireLock('db', { ttl: 5000 })
    await client(B).acquireLock('db', { ttl: 5000, wait: false }).catch(() => {})
    await client(A).releaseLock(a.token)
    const text = await registry.metrics()
    expect(text).toContain('zerostate_coordination_locks_acquired_total{type="exclusive"} 1')
    expect(text).toContain('zerostate_coordination_locks_released_total{type="exclusive",reason="released"} 1')
    expect(text).toContain('zerostate_coordination_lock_conflicts_total{type="exclusive"} 1')
    expect(text).toContain('zerostate_coordination_lock_wait_seconds_count{type="exclusive"} 1')
  })
})
