/**
 * One lock resource as a pure state machine: holders, a FIFO wait queue,
 * fencing tokens and TTL leases (expiry by delayed events, so the actor's
 * clock decides: a SimulatedClock in tests).
 *
 * Replies are emitted events (`actor.on('granted', ...)`), each carrying the
 * `ticket` of the request it answers. The machine never reads the time: the
 * authority stamps `expiresAt` when it sees `granted` / `renewed`.
 *
 * Fairness: a request is granted at once only when nobody waits and it is
 * compatible with the holders; otherwise it queues. The queue is served
 * strictly in order, so a stream of shared requests never starves an
 * exclusive waiter.
 *
 * @example
 * ```ts
 * const lock = createActor(lockMachine, { input: { resource: 'db', lastFencingToken: 0 } }).start()
 * lock.on('granted', e => { tokens.push(e.fencingToken) })
 * lock.send({ type: 'ACQUIRE', ticket: 't1', token: 'k1', holder: 'did:key:z#a', lockType: 'exclusive', ttl: 5000, wait: true })
 * ```
 */
import { setup, enqueueActions } from 'xstate'
import { holderMatches } from './holder-match.ts'

export type LockType = 'exclusive' | 'shared'

/** A granted lease. */
export interface LockHolder {
  ticket: string
  token: string
  holder: string
  type: LockType
  fencingToken: number
  ttl: number
}

/** A queued request. */
export interface LockWaiter {
  ticket: string
  token: string
  holder: string
  type: LockType
  ttl: number
}

export interface LockContext {
  resource: string
  /** The fencing token of the latest grant; the next grant gets a larger one. */
  lastFencingToken: number
  holders: LockHolder[]
  waiters: LockWaiter[]
}

export interface LockInput {
  resource: string
  /** Carried over from an earlier actor of the same resource, so tokens keep increasing. */
  lastFencingToken?: number
}

export type LockEvent =
  | { type: 'ACQUIRE', ticket: string, token: string, holder: string, lockType: LockType, ttl: number, wait: boolean }
  | { type: 'RELEASE', ticket: string, token: string }
  | { type: 'RENEW', ticket: string, token: string, ttl: number }
  /** Withdraw a queued request (its caller gave up). */
  | { type: 'CANCEL', ticket: string }
  /** Release every lease and withdraw every request of a holder (agent id) or of all agents of a node. */
  | { type: 'RELEASE_HOLDER', holder: string }
  /** Internal: a lease ran out. */
  | { type: 'EXPIRE', token: string }

export type LockLossReason = 'expired' | 'holder_stopped'

export type LockEmitted =
  | { type: 'granted', ticket: string, token: string, holder: string, lockType: LockType, fencingToken: number, ttl: number, queued: boolean }
  | { type: 'queued', ticket: string, lockType: LockType, position: number }
  | { type: 'conflict', ticket: string, lockType: LockType }
  | { type: 'released', ticket: string, token: string, lockType: LockType }
  | { type: 'renewed', ticket: string, token: string, holder: string, lockType: LockType, fencingToken: number, ttl: number }
  | { type: 'notHeld', ticket: string, token: string }
  | { type: 'lost', token: string, holder: string, lockType: LockType, fencingToken: number, reason: LockLossReason }
  | { type: 'withdrawn', ticket: string, reason: 'cancelled' | 'holder_stopped' }

/** May a request of `type` join `holders`? */
function compatible (holders: readonly LockHolder[], type: LockType): boolean {
  return type === 'exclusive' ? holders.length === 0 : holders.every(h => h.type === 'shared')
}

/** Grant queued requests from the head while they fit; stop at the first that does not. */
function admitWaiters (context: LockContext): { context: LockContext, granted: LockHolder[] } {
  const holders = [...context.holders]
  const waiters = [...context.waiters]
  const granted: LockHolder[] = []
  let fencing = context.lastFencingToken
  while (waiters.length > 0 && compatible(holders, waiters[0].type)) {
    const next = waiters.shift() as LockWaiter
    fencing += 1
    const lease: LockHolder = { ...next, fencingToken: fencing }
    holders.push(lease)
    granted.push(lease)
  }
  return { context: { ...context, holders, waiters, lastFencingToken: fencing }, granted }
}

const expiryId = (token: string): string => `expire:${token}`

export const lockMachine = setup({
  types: {
    context: {} as LockContext,
    events: {} as LockEvent,
    input: {} as LockInput,
    emitted: {} as LockEmitted
  },
  guards: {
    /** Granted at once: nobody waits and the holders admit this type. */
    grantable: ({ context, event }) => event.type === 'ACQUIRE' && context.waiters.length === 0 && compatible(context.holders, event.lockType),
    mayWait: ({ event }) => event.type === 'ACQUIRE' && event.wait,
    /** Nobody holds or waits once this event is applied. */
    freesLock: ({ context, event }) => leavesFree(context, event)
  },
  actions: {
    grant: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ACQUIRE') return
      const lease: LockHolder = { ticket: event.ticket, token: event.token, holder: event.holder, type: event.lockType, ttl: event.ttl, fencingToken: context.lastFencingToken + 1 }
      enqueue.assign({ holders: [...context.holders, lease], lastFencingToken: lease.fencingToken })
      grant(enqueue, lease, false)
    }),
    queue: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ACQUIRE') return
      enqueue.assign({ waiters: [...context.waiters, { ticket: event.ticket, token: event.token, holder: event.holder, type: event.lockType, ttl: event.ttl }] })
      enqueue.emit({ type: 'queued', ticket: event.ticket, lockType: event.lockType, position: context.waiters.length })
    }),
    conflict: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'ACQUIRE') return
      enqueue.emit({ type: 'conflict', ticket: event.ticket, lockType: event.lockType })
    }),
    release: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RELEASE') return
      const lease = context.holders.find(h => h.token === event.token)
      if (lease === undefined) {
        enqueue.emit({ type: 'notHeld', ticket: event.ticket, token: event.token })
        return
      }
      enqueue.cancel(expiryId(lease.token))
      enqueue.emit({ type: 'released', ticket: event.ticket, token: lease.token, lockType: lease.type })
      removeAndAdmit(enqueue, context, [lease], [])
    }),
    renew: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RENEW') return
      const lease = context.holders.find(h => h.token === event.token)
      if (lease === undefined) {
        enqueue.emit({ type: 'notHeld', ticket: event.ticket, token: event.token })
        return
      }
      enqueue.cancel(expiryId(lease.token))
      enqueue.raise({ type: 'EXPIRE', token: lease.token }, { id: expiryId(lease.token), delay: event.ttl })
      enqueue.assign({ holders: context.holders.map(h => h.token === lease.token ? { ...h, ttl: event.ttl } : h) })
      enqueue.emit({ type: 'renewed', ticket: event.ticket, token: lease.token, holder: lease.holder, lockType: lease.type, fencingToken: lease.fencingToken, ttl: event.ttl })
    }),
    cancel: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CANCEL') return
      const waiter = context.waiters.find(w => w.ticket === event.ticket)
      if (waiter === undefined) return
      enqueue.emit({ type: 'withdrawn', ticket: waiter.ticket, reason: 'cancelled' })
      removeAndAdmit(enqueue, context, [], [waiter])
    }),
    expire: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'EXPIRE') return
      const lease = context.holders.find(h => h.token === event.token)
      if (lease === undefined) return
      enqueue.emit({ type: 'lost', token: lease.token, holder: lease.holder, lockType: lease.type, fencingToken: lease.fencingToken, reason: 'expired' })
      removeAndAdmit(enqueue, context, [lease], [])
    }),
    releaseHolder: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RELEASE_HOLDER') return
      const leases = context.holders.filter(h => holderMatches(h.holder, event.holder))
      const waiters = context.waiters.filter(w => holderMatches(w.holder, event.holder))
      for (const lease of leases) {
        enqueue.cancel(expiryId(lease.token))
        enqueue.emit({ type: 'lost', token: lease.token, holder: lease.holder, lockType: lease.type, fencingToken: lease.fencingToken, reason: 'holder_stopped' })
      }
      for (const waiter of waiters) enqueue.emit({ type: 'withdrawn', ticket: waiter.ticket, reason: 'holder_stopped' })
      if (leases.length > 0 || waiters.length > 0) removeAndAdmit(enqueue, context, leases, waiters)
    })
  }
}).createMachine({
  id: 'lock',
  context: ({ input }) => ({ resource: input.resource, lastFencingToken: input.lastFencingToken ?? 0, holders: [], waiters: [] }),
  initial: 'free',
  // Events that never change the state (or find nothing to do while free).
  on: {
    RELEASE: { actions: 'release' },
    RENEW: { actions: 'renew' },
    CANCEL: { actions: 'cancel' },
    EXPIRE: { actions: 'expire' },
    RELEASE_HOLDER: { actions: 'releaseHolder' }
  },
  states: {
    /** Nobody holds the lock (and so nobody waits). */
    free: {
      on: { ACQUIRE: { target: 'held', actions: 'grant' } }
    },
    /** At least one lease is held; requests that do not fit wait in FIFO order. */
    held: {
      on: {
        ACQUIRE: [
          { guard: 'grantable', actions: 'grant' },
          { guard: 'mayWait', actions: 'queue' },
          { actions: 'conflict' }
        ],
        RELEASE: [{ guard: 'freesLock', target: 'free', actions: 'release' }, { actions: 'release' }],
        EXPIRE: [{ guard: 'freesLock', target: 'free', actions: 'expire' }, { actions: 'expire' }],
        RELEASE_HOLDER: [{ guard: 'freesLock', target: 'free', actions: 'releaseHolder' }, { actions: 'releaseHolder' }]
      }
    }
  }
})

/**
 * Whether nobody holds or waits after `event`: the state moves to `free`
 * exactly then (a release that leaves waiters admits the next of them).
 */
function leavesFree (context: LockContext, event: LockEvent): boolean {
  switch (event.type) {
    case 'RELEASE':
    case 'EXPIRE':
      return context.waiters.length === 0 && context.holders.length === 1 && context.holders[0].token === event.token
    case 'RELEASE_HOLDER':
      return context.holders.every(h => holderMatches(h.holder, event.holder)) && context.waiters.every(w => holderMatches(w.holder, event.holder))
    default:
      return false
  }
}

/** The `enqueue` helper of enqueueActions, as far as these actions use it. */
interface LockEnqueue {
  assign: (update: Partial<LockContext>) => void
  emit: (event: LockEmitted) => void
  raise: (event: LockEvent, options: { id: string, delay: number }) => void
}

function grant (enqueue: LockEnqueue, lease: LockHolder, queued: boolean): void {
  enqueue.raise({ type: 'EXPIRE', token: lease.token }, { id: expiryId(lease.token), delay: lease.ttl })
  enqueue.emit({ type: 'granted', ticket: lease.ticket, token: lease.token, holder: lease.holder, lockType: lease.type, fencingToken: lease.fencingToken, ttl: lease.ttl, queued })
}

function removeAndAdmit (enqueue: LockEnqueue, context: LockContext, leases: readonly LockHolder[], waiters: readonly LockWaiter[]): void {
  const gone = new Set([...leases.map(l => l.token), ...waiters.map(w => w.token)])
  const remaining: LockContext = {
    ...context,
    holders: context.holders.filter(h => !gone.has(h.token)),
    waiters: context.waiters.filter(w => !gone.has(w.token))
  }
  const { context: next, granted } = admitWaiters(remaining)
  enqueue.assign(next)
  for (const lease of granted) grant(enqueue, lease, true)
}
