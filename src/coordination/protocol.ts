/**
 * The plain-data operations, results and notifications that cross between a
 * coordination client and the authority (in process, or as COORDINATION
 * payloads over the bus), and their validation: everything that arrives from
 * the wire goes through `parseRequest` / `parseResult` / `parsePush` first.
 *
 * @example
 * ```ts
 * const request: CoordinationRequest = {
 *   v: 1, caller: 'did:key:z6Mk#worker', requestId: '0f…',
 *   op: { op: 'lock.acquire', resource: 'db', type: 'exclusive', ttl: 5000, wait: true }
 * }
 * const checked = parseRequest(request) // throws INVALID_ARGUMENT on anything malformed
 * ```
 */
import { ZeroStateError, errorFromWire, type WireError } from '../errors.ts'
import type { BarrierRelease, LockGrant, LockLossReason, LockType, SharedState } from './types.ts'

/** Protocol version carried by every request and push. */
export const PROTOCOL_VERSION = 1
/** The largest ttl / timeout in milliseconds (what a timer can hold). */
export const MAX_DURATION_MS = 2_147_483_647
const MAX_NAME_LENGTH = 1024

export type CoordinationOp =
  | { op: 'lock.acquire', resource: string, type: LockType, ttl: number, wait: boolean }
  | { op: 'lock.release', token: string }
  | { op: 'lock.renew', token: string, ttl: number }
  | { op: 'state.get', key: string }
  | { op: 'state.set', key: string, value: unknown, expectedVersion: number }
  /** Like `state.set`, but a lost compare-and-set is a result carrying the current state (one round trip per retry). */
  | { op: 'state.cas', key: string, value: unknown, expectedVersion: number }
  | { op: 'state.watch', key: string }
  | { op: 'state.unwatch', key: string }
  | { op: 'barrier.wait', name: string, parties: number, timeout?: number }
  /** Withdraw the caller's earlier request `requestId` (a waiter), or undo its grant if it was already granted. */
  | { op: 'cancel', requestId: string }
  /** Release every lease, wait and watch of `holder` (an agent of the caller's node, or the node itself): sent when an agent stops. */
  | { op: 'holder.release', holder: string }

/** The value each op resolves with. */
export interface OpResults {
  'lock.acquire': LockGrant
  'lock.release': { released: true }
  'lock.renew': LockGrant
  'state.get': SharedState | null
  'state.set': SharedState
  'state.cas': { committed: boolean, state: SharedState | null }
  /** `version`: the key's version when the watch started (0: absent); every later version is pushed. */
  'state.watch': { watching: true, version: number }
  'state.unwatch': { watching: false }
  'barrier.wait': BarrierRelease
  'cancel': { cancelled: boolean }
  'holder.release': { released: true }
}

export type OpName = CoordinationOp['op']
export type ResultOf<O extends CoordinationOp> = OpResults[O['op']]

/** An op's outcome: failures are values (they cross the wire), not exceptions. */
export type CoordinationResult<T = unknown> = { ok: true, value: T } | { ok: false, error: WireError }

/** Pushed by the authority to a caller. */
export type CoordinationNotification =
  | { type: 'lockLost', resource: string, token: string, fencingToken: number, reason: LockLossReason }
  | { type: 'state', state: SharedState }

/** A request as it travels to a remote authority. */
export interface CoordinationRequest {
  v: typeof PROTOCOL_VERSION
  /** The holder address the op acts for. */
  caller: string
  /** Idempotency key: a retry with the same id gets the same answer. */
  requestId: string
  op: CoordinationOp
}

/** A notification as it travels to a remote caller's node. */
export interface CoordinationPush {
  v: typeof PROTOCOL_VERSION
  caller: string
  notification: CoordinationNotification
}

/** Ops that may wait at the authority for a long time. */
export function isWaitingOp (op: CoordinationOp): boolean {
  return (op.op === 'lock.acquire' && op.wait) || op.op === 'barrier.wait'
}

function invalid (message: string): ZeroStateError {
  return new ZeroStateError('INVALID_ARGUMENT', message)
}

function record (x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw invalid(`${what} must be an object`)
  return x as Record<string, unknown>
}

function name (x: unknown, what: string): string {
  if (typeof x !== 'string' || x.length === 0 || x.length > MAX_NAME_LENGTH) throw invalid(`${what} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`)
  return x
}

function duration (x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > MAX_DURATION_MS) throw invalid(`${what} must be an integer number of milliseconds in 1..${MAX_DURATION_MS}`)
  return x
}

function count (x: unknown, what: string, min: number): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) throw invalid(`${what} must be an integer >= ${min}`)
  return x
}

/** Check an op (from the wire or from user arguments); throws `INVALID_ARGUMENT`. */
export function parseOp (x: unknown): CoordinationOp {
  const o = record(x, 'op')
  switch (o.op) {
    case 'lock.acquire': {
      if (o.type !== 'exclusive' && o.type !== 'shared') throw invalid('lock type must be "exclusive" or "shared"')
      if (typeof o.wait !== 'boolean') throw invalid('wait must be a boolean')
      return { op: o.op, resource: name(o.resource, 'resource'), type: o.type, ttl: duration(o.ttl, 'ttl'), wait: o.wait }
    }
    case 'lock.release': return { op: o.op, token: name(o.token, 'token') }
    case 'lock.renew': return { op: o.op, token: name(o.token, 'token'), ttl: duration(o.ttl, 'ttl') }
    case 'state.get':
    case 'state.watch':
    case 'state.unwatch': return { op: o.op, key: name(o.key, 'key') }
    case 'state.set':
    case 'state.cas': {
      if (o.value === undefined) throw invalid('value must not be undefined')
      return { op: o.op, key: name(o.key, 'key'), value: o.value, expectedVersion: count(o.expectedVersion ?? 0, 'expectedVersion', 0) }
    }
    case 'barrier.wait': {
      const op: CoordinationOp = { op: o.op, name: name(o.name, 'barrier name'), parties: count(o.parties, 'parties', 1) }
      if (o.timeout !== undefined && o.timeout !== null) op.timeout = duration(o.timeout, 'timeout')
      return op
    }
    case 'cancel': return { op: o.op, requestId: name(o.requestId, 'requestId') }
    case 'holder.release': return { op: o.op, holder: name(o.holder, 'holder') }
    default: throw invalid(`unknown coordination op ${JSON.stringify(o.op)}`)
  }
}

/**
 * What a request on the wire may leave out because its envelope says it:
 * the sending node's address and the message id.
 */
export interface ImpliedByEnvelope {
  /** The authenticated sender (a node address). */
  sender: string
  /** The envelope's id. */
  messageId?: string
}

/**
 * The wire form of a request: `caller` is left out when it is the sending
 * node and shortened to `#<agent>` for one of its agents; `requestId` is left
 * out when it is the message id. {@link parseRequest} restores both.
 *
 * @example
 * ```ts
 * const wire = compactRequest(request, node.did, messageId)
 * parseRequest(wire, { sender: node.did, messageId }) // deep-equals request
 * ```
 */
export function compactRequest (request: CoordinationRequest, implied: ImpliedByEnvelope): Record<string, unknown> {
  const wire: Record<string, unknown> = { v: request.v, op: request.op }
  if (request.caller.startsWith(`${implied.sender}#`)) wire.caller = request.caller.slice(implied.sender.length)
  else if (request.caller !== implied.sender) wire.caller = request.caller
  if (request.requestId !== implied.messageId) wire.requestId = request.requestId
  return wire
}

/** Check a request that arrived from the wire (restoring what `implied` says); throws `INVALID_ARGUMENT`. */
export function parseRequest (x: unknown, implied?: ImpliedByEnvelope): CoordinationRequest {
  const r = record(x, 'coordination request')
  if (r.v !== PROTOCOL_VERSION) throw invalid(`unsupported coordination protocol version ${String(r.v)}`)
  let caller = r.caller
  if (implied !== undefined) {
    if (caller === undefined) caller = implied.sender
    else if (typeof caller === 'string' && caller.startsWith('#')) caller = implied.sender + caller
  }
  const requestId = r.requestId === undefined && implied?.messageId !== undefined ? implied.messageId : r.requestId
  return { v: PROTOCOL_VERSION, caller: name(caller, 'caller'), requestId: name(requestId, 'requestId'), op: parseOp(r.op) }
}

/**
 * The wire form of a result: a `lock.acquire` grant leaves out what the
 * request said (resource, type, holder); {@link expandResult} puts it back.
 */
export function compactResult (request: CoordinationRequest, result: CoordinationResult): CoordinationResult {
  if (request.op.op !== 'lock.acquire' || !result.ok) return result
  const grant = result.value as LockGrant
  return { ok: true, value: { token: grant.token, fencingToken: grant.fencingToken, expiresAt: grant.expiresAt } }
}

/** Undo {@link compactResult} for the request `op` made by `caller` (a full grant passes unchanged). */
export function expandResult (op: CoordinationOp, caller: string, result: CoordinationResult): CoordinationResult {
  if (op.op !== 'lock.acquire' || !result.ok) return result
  return { ok: true, value: { resource: op.resource, type: op.type, holder: caller, ...(result.value as object) } }
}

function wireError (x: unknown): WireError {
  const e = record(x, 'error')
  if (typeof e.code !== 'string' || typeof e.message !== 'string') throw invalid('error needs a string code and message')
  const details = e.details === undefined || e.details === null ? undefined : record(e.details, 'error details')
  return details === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, details }
}

/** Check a result that arrived from the wire; throws `INVALID_ARGUMENT`. */
export function parseResult (x: unknown): CoordinationResult {
  const r = record(x, 'coordination result')
  if (r.ok === true) return { ok: true, value: r.value ?? null }
  if (r.ok === false) return { ok: false, error: wireError(r.error) }
  throw invalid('coordination result needs ok: true | false')
}

/** Check a push that arrived from the wire; throws `INVALID_ARGUMENT`. */
export function parsePush (x: unknown): CoordinationPush {
  const p = record(x, 'coordination push')
  if (p.v !== PROTOCOL_VERSION) throw invalid(`unsupported coordination protocol version ${String(p.v)}`)
  const n = record(p.notification, 'notification')
  const caller = name(p.caller, 'caller')
  if (n.type === 'lockLost') {
    if (n.reason !== 'expired' && n.reason !== 'holder_stopped') throw invalid('unknown lock loss reason')
    return { v: PROTOCOL_VERSION, caller, notification: { type: 'lockLost', resource: name(n.resource, 'resource'), token: name(n.token, 'token'), fencingToken: count(n.fencingToken, 'fencingToken', 1), reason: n.reason } }
  }
  if (n.type === 'state') {
    const s = record(n.state, 'state')
    const state: SharedState = {
      key: name(s.key, 'key'),
      value: s.value,
      version: count(s.version, 'version', 1),
      updatedBy: name(s.updatedBy, 'updatedBy'),
      updatedAt: count(s.updatedAt, 'updatedAt', 0)
    }
    return { v: PROTOCOL_VERSION, caller, notification: { type: 'state', state } }
  }
  throw invalid(`unknown notification type ${JSON.stringify(n.type)}`)
}

/** A result's value, or its error rebuilt as a typed error (`INVALID_ARGUMENT`, `LOCK_CONFLICT`, ...). */
export function valueOf<T> (result: CoordinationResult<T>): T {
  if (result.ok) return result.value
  throw errorFromWire(result.error)
}
