/**
 * What the authority's per-kind tables (locks, state, barriers) share with
 * it: the request record, the scope they act through and small result helpers.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { ActorHost } from '../actor-host.ts'
import { ZeroStateError, type ErrorCode, type WireError } from '../errors.ts'
import type { CoordinationMetrics } from './coordination-metrics.ts'
import type { CoordinationNotification, CoordinationOp, CoordinationResult } from './protocol.ts'

/** One op in flight (or remembered), as the tables see it. */
export interface AuthorityRequest {
  key: string
  /** Unique per execution; the machines answer by ticket. */
  ticket: string
  caller: string
  op: CoordinationOp
  startedAt: number
  settled: boolean
  result?: CoordinationResult
  /** Set by the table that queued this request, so it can be withdrawn. */
  withdraw?: () => void
  cleanup: Array<() => void>
  promise: Promise<CoordinationResult>
  resolve: (result: CoordinationResult) => void
}

/** What the per-kind tables share with the authority. */
export interface AuthorityScope {
  host: ActorHost
  logger: Logger
  metrics: CoordinationMetrics
  now: () => number
  /** Answer a request by its ticket (unknown or settled tickets are ignored). */
  settle: (ticket: string, result: CoordinationResult) => AuthorityRequest | undefined
  notify: (caller: string, notification: CoordinationNotification) => void
  /** A fresh, unique child id for the host. */
  actorId: (kind: string, name: string) => string
}

export function ok<T> (value: T): CoordinationResult<T> {
  return { ok: true, value }
}

export function fail (code: ErrorCode, message: string, details?: Record<string, unknown>): CoordinationResult<never> {
  return { ok: false, error: new ZeroStateError(code, message, details === undefined ? {} : { details }).toWire() }
}

/** A fresh token for a lease (unguessable: it is the capability to release the lease). */
export function newLeaseToken (): string {
  return randomUUID()
}

/** Wire error for a lost or unknown lease. */
export function leaseError (lost: boolean, token: string): WireError {
  return lost
    ? new ZeroStateError('LOCK_LOST', 'the lock lease was lost before this call', { details: { token } }).toWire()
    : new ZeroStateError('LOCK_NOT_HELD', 'no lease with this token is held', { details: { token } }).toWire()
}

/** The node part of an address (`did:key:z…#agent` -> `did:key:z…`). */
export function nodeOf (address: string): string {
  const hash = address.indexOf('#')
  return hash === -1 ? address : address.slice(0, hash)
}
