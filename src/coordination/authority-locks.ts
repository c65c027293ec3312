/**
 * The authority's locks: one lock actor per resource with holders or
 * waiters, the lease table (token -> resource), the per-resource fencing
 * counter that outlives idle actors, and the tokens recently lost (so a late
 * `renewLock` / `releaseLock` is told `LOCK_LOST`, not "unknown").
 *
 * @example
 * ```ts
 * const locks = new LockTable(scope, { ttlMs: 120_000, maxEntries: 100_000 })
 * locks.handle(request) // lock.acquire | lock.release | lock.renew
 * ```
 */
import type { ActorRefFrom } from 'xstate'
import { lockMachine, type LockEmitted, type LockType } from '../../machines/lock.ts'
import { fail, leaseError, newLeaseToken, ok, type AuthorityRequest, type AuthorityScope } from './authority-scope.ts'
import { ExpiringMap } from '../util/expiring-map.ts'
import { IdleReaper } from './idle-reaper.ts'
import type { LockGrant } from './types.ts'

interface LockEntry {
  id: string
  actor: ActorRefFrom<typeof lockMachine>
}

interface Lease {
  resource: string
  holder: string
  type: LockType
}

export class LockTable {
  private readonly scope: AuthorityScope
  private readonly actors = new Map<string, LockEntry>()
  private readonly fencing = new Map<string, number>()
  private readonly leases = new Map<string, Lease>()
  private readonly lost: ExpiringMap<string, true>
  private readonly reaper: IdleReaper<LockEntry>
  private revokes = 0

  constructor (scope: AuthorityScope, memory: { ttlMs: number, maxEntries: number }, keepIdle: number) {
    this.scope = scope
    this.lost = new ExpiringMap({ ...memory, now: scope.now })
    this.reaper = new IdleReaper(scope.host, this.actors, (resource, { actor }) => {
      const { holders, waiters, lastFencingToken } = actor.getSnapshot().context
      if (holders.length > 0 || waiters.length > 0) return false
      this.fencing.set(resource, lastFencingToken)
      return true
    }, keepIdle)
  }

  handle (request: AuthorityRequest): void {
    const op = request.op
    if (op.op === 'lock.acquire') {
      const { actor } = this.actor(op.resource)
      request.withdraw = () => { this.actors.get(op.resource)?.actor.send({ type: 'CANCEL', ticket: request.ticket }) }
      actor.send({ type: 'ACQUIRE', ticket: request.ticket, token: newLeaseToken(), holder: request.caller, lockType: op.type, ttl: op.ttl, wait: op.wait })
      return
    }
    if (op.op !== 'lock.release' && op.op !== 'lock.renew') return
    const lease = this.leases.get(op.token)
    if (lease === undefined) {
      this.scope.settle(request.ticket, { ok: false, error: leaseError(this.lost.has(op.token), op.token) })
      return
    }
    const { actor } = this.actor(lease.resource)
    actor.send(op.op === 'lock.release'
      ? { type: 'RELEASE', ticket: request.ticket, token: op.token }
      : { type: 'RENEW', ticket: request.ticket, token: op.token, ttl: op.ttl })
  }

  /** Release a lease whose grant its caller cancelled. True when it was still held. */
  revoke (grant: { token: string }): boolean {
    const lease = this.leases.get(grant.token)
    if (lease === undefined) return false
    this.actor(lease.resource).actor.send({ type: 'RELEASE', ticket: `revoke-${++this.revokes}`, token: grant.token })
    return true
  }

  releaseHolder (holder: string): void {
    for (const { actor } of [...this.actors.values()]) actor.send({ type: 'RELEASE_HOLDER', holder })
  }

  close (): void {
    for (const { id } of this.actors.values()) this.scope.host.stop(id)
    this.actors.clear()
    this.leases.clear()
    this.lost.clear()
  }

  private actor (resource: string): LockEntry {
    const existing = this.actors.get(resource)
    if (existing !== undefined) return existing
    const id = this.scope.actorId('lock', resource)
    const actor = this.scope.host.spawn(lockMachine, { id, input: { resource, lastFencingToken: this.fencing.get(resource) ?? 0 } })
    const entry = { id, actor }
    this.actors.set(resource, entry)
    actor.on('*', event => { this.onEvent(resource, event) })
    return entry
  }

  private onEvent (resource: string, event: LockEmitted): void {
    const { scope } = this
    const now = scope.now()
    switch (event.type) {
      case 'granted': {
        this.leases.set(event.token, { resource, holder: event.holder, type: event.lockType })
        this.fencing.set(resource, event.fencingToken)
        const grant: LockGrant = { resource, type: event.lockType, token: event.token, fencingToken: event.fencingToken, holder: event.holder, expiresAt: now + event.ttl }
        const request = scope.settle(event.ticket, ok(grant))
        scope.metrics.locksAcquired.inc({ type: event.lockType })
        if (request !== undefined) scope.metrics.lockWaitSeconds.observe({ type: event.lockType }, Math.max(0, now - request.startedAt) / 1000)
        if (request === undefined) this.revoke(grant)
        break
      }
      case 'queued':
        scope.metrics.lockConflicts.inc({ type: event.lockType })
        break
      case 'conflict':
        scope.metrics.lockConflicts.inc({ type: event.lockType })
        scope.settle(event.ticket, fail('LOCK_CONFLICT', `lock "${resource}" is held`, { resource }))
        break
      case 'released':
        this.leases.delete(event.token)
        scope.metrics.locksReleased.inc({ type: event.lockType, reason: 'released' })
        scope.settle(event.ticket, ok({ released: true }))
        break
      case 'renewed': {
        const grant: LockGrant = { resource, type: event.lockType, token: event.token, fencingToken: event.fencingToken, holder: event.holder, expiresAt: now + event.ttl }
        scope.settle(event.ticket, ok(grant))
        break
      }
      case 'notHeld':
        scope.settle(event.ticket, { ok: false, error: leaseError(this.lost.has(event.token), event.token) })
        break
      case 'lost':
        this.leases.delete(event.token)
        this.lost.set(event.token, true)
        scope.metrics.locksReleased.inc({ type: event.lockType, reason: event.reason })
        if (event.reason === 'expired') scope.metrics.lockExpiries.inc({ type: event.lockType })
        scope.logger.debug({ resource, holder: event.holder, fencingToken: event.fencingToken, reason: event.reason }, 'lock lease lost')
        scope.notify(event.holder, { type: 'lockLost', resource, token: event.token, fencingToken: event.fencingToken, reason: event.reason })
        break
      case 'withdrawn':
        scope.settle(event.ticket, fail('ABORTED', event.reason === 'cancelled' ? 'the lock request was cancelled' : 'the requesting holder stopped', { resource, reason: event.reason }))
        break
    }
    // Only a lease or request that ended can leave the lock idle.
    if (event.type === 'released' || event.type === 'lost' || event.type === 'withdrawn' || event.type === 'notHeld') this.reaper.schedule(resource)
  }
}
