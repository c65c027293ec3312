/**
 * Typed errors. Every failure a user handles has a `code`; never match on
 * message text. Errors cross the wire as `{ code, message, details? }` and are
 * rebuilt on the caller's side with {@link errorFromWire}.
 *
 * @example
 * ```ts
 * try { await bus.request(to, task, { timeout: 1000 }) }
 * catch (err) { if (isZeroStateError(err, 'TIMEOUT')) retryLater() }
 * ```
 */

/** Every error code the runtime produces. */
export type ErrorCode =
  // messaging
  | 'TIMEOUT'
  | 'ABORTED'
  | 'AGENT_NOT_FOUND'
  | 'HANDLER_ERROR'
  | 'MAILBOX_FULL'
  | 'EXPIRED'
  | 'DELIVERY_FAILED'
  | 'INVALID_ENVELOPE'
  | 'INVALID_ADDRESS'
  | 'NODE_STOPPED'
  // agents
  | 'AGENT_STOPPED'
  | 'NO_AGENT'
  | 'DUPLICATE_AGENT'
  | 'AUCTION_FAILED'
  | 'COST_EXCEEDS_BID'
  // workflows
  | 'INVALID_SPEC'
  | 'CYCLE'
  | 'BUDGET_EXCEEDED'
  | 'STEP_FAILED'
  | 'MAPPING_FAILED'
  | 'RUN_NOT_FOUND'
  | 'CANCELLED'
  | 'WORKFLOW_TIMEOUT'
  // coordination
  | 'LOCK_CONFLICT'
  | 'LOCK_LOST'
  | 'LOCK_NOT_HELD'
  | 'STATE_CONFLICT'
  | 'STATE_RETRIES_EXHAUSTED'
  | 'BARRIER_TIMEOUT'
  | 'BARRIER_BROKEN'
  | 'BARRIER_MISMATCH'
  | 'COORDINATOR_UNAVAILABLE'
  // generic
  | 'INVALID_ARGUMENT'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL'

/** The form an error takes on the wire (inside a RESPONSE) and in results. */
export interface WireError {
  code: string
  message: string
  details?: Record<string, unknown>
}

const BRAND = Symbol.for('zerostate.error')
const TASK_BRAND = Symbol.for('zerostate.task-error')

/** Base class of every error the runtime throws. */
export class ZeroStateError extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>
  readonly [BRAND] = true

  constructor (code: ErrorCode, message: string, options: { cause?: unknown, details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ZeroStateError'
    this.code = code
    if (options.details !== undefined) this.details = options.details
  }

  /** The plain `{ code, message, details? }` form, for the wire and for results. */
  toWire (): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

/** A request or operation ran past its deadline. */
export class TimeoutError extends ZeroStateError {
  constructor (message = 'timed out', options: { cause?: unknown, details?: Record<string, unknown> } = {}) {
    super('TIMEOUT', message, options)
    this.name = 'TimeoutError'
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends ZeroStateError {
  constructor (message = 'aborted', options: { cause?: unknown, details?: Record<string, unknown> } = {}) {
    super('ABORTED', message, options)
    this.name = 'AbortedError'
  }
}

/**
 * Thrown by an agent's handler to fail one task without crashing the agent.
 * The caller receives `HANDLER_ERROR` whose details carry this error's own
 * `code`, `details` and `retryable` flag.
 *
 * @example
 * ```ts
 * throw new TaskError('image too large', { code: 'TOO_LARGE', retryable: false })
 * ```
 */
export class TaskError extends Error {
  readonly [TASK_BRAND] = true
  readonly code: string
  readonly details?: Record<string, unknown>
  readonly retryable: boolean

  constructor (message: string, options: { code?: string, details?: Record<string, unknown>, retryable?: boolean, cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TaskError'
    this.code = options.code ?? 'TASK_FAILED'
    this.retryable = options.retryable ?? true
    if (options.details !== undefined) this.details = options.details
  }
}

/** A workflow or coordination spec failed validation; `issues` names each problem's path. */
export class InvalidSpecError extends ZeroStateError {
  readonly issues: ReadonlyArray<{ path: string, message: string }>

  constructor (issues: ReadonlyArray<{ path: string, message: string }>, message?: string) {
    super('INVALID_SPEC', message ?? `invalid spec: ${issues.map(i => `${i.path}: ${i.message}`).join('; ')}`, { details: { issues: issues.map(i => ({ ...i })) } })
    this.name = 'InvalidSpecError'
    this.issues = issues
  }
}

/** A DAG contains a cycle; `cycle` lists the node ids in order (first repeated at the end). */
export class CycleError extends ZeroStateError {
  readonly cycle: readonly string[]

  constructor (cycle: readonly string[]) {
    super('CYCLE', `workflow has a cycle: ${cycle.join(' -> ')}`, { details: { cycle: [...cycle] } })
    this.name = 'CycleError'
    this.cycle = cycle
  }
}

/** A step or task reported a cost above its budget, or the budget is spent. */
export class BudgetExceededError extends ZeroStateError {
  constructor (message: string, details?: Record<string, unknown>) {
    super('BUDGET_EXCEEDED', message, details === undefined ? {} : { details })
    this.name = 'BudgetExceededError'
  }
}

/** Compare-and-set lost: `currentVersion` is the version that won. */
export class StateConflictError extends ZeroStateError {
  readonly currentVersion: number

  constructor (key: string, expected: number, currentVersion: number) {
    super('STATE_CONFLICT', `state "${key}" is at version ${currentVersion}, expected ${expected}`, { details: { key, expected, currentVersion } })
    this.name = 'StateConflictError'
    this.currentVersion = currentVersion
  }
}

/** A lock lease was lost (expired or revoked) before the holder released it. */
export class LockLostError extends ZeroStateError {
  constructor (message: string, details?: Record<string, unknown>) {
    super('LOCK_LOST', message, details === undefined ? {} : { details })
    this.name = 'LockLostError'
  }
}

/**
 * True when `err` is a ZeroState error (from any copy of the library), and
 * when `code` is given, one with that code.
 */
export function isZeroStateError (err: unknown, code?: ErrorCode): err is ZeroStateError {
  if (typeof err !== 'object' || err === null) return false
  if ((err as Record<symbol, unknown>)[BRAND] !== true) return false
  return code === undefined || (err as ZeroStateError).code === code
}

/** True when `err` is a TaskError (from any copy of the library). */
export function isTaskError (err: unknown): err is TaskError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[TASK_BRAND] === true
}

/** Turn anything thrown into the wire form, keeping codes of known errors. */
export function errorToWire (err: unknown): WireError {
  if (isZeroStateError(err)) return err.toWire()
  if (isTaskError(err)) {
    const details: Record<string, unknown> = { code: err.code, retryable: err.retryable }
    if (err.details !== undefined) details.details = err.details
    return { code: 'HANDLER_ERROR', message: err.message, details }
  }
  if (err instanceof Error) return { code: 'INTERNAL', message: err.message }
  return { code: 'INTERNAL', message: String(err) }
}

const KNOWN_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'TIMEOUT', 'ABORTED', 'AGENT_NOT_FOUND', 'HANDLER_ERROR', 'MAILBOX_FULL', 'EXPIRED', 'DELIVERY_FAILED',
  'INVALID_ENVELOPE', 'INVALID_ADDRESS', 'NODE_STOPPED', 'AGENT_STOPPED', 'NO_AGENT', 'DUPLICATE_AGENT',
  'AUCTION_FAILED', 'COST_EXCEEDS_BID', 'INVALID_SPEC', 'CYCLE', 'BUDGET_EXCEEDED', 'STEP_FAILED',
  'MAPPING_FAILED', 'RUN_NOT_FOUND', 'CANCELLED', 'WORKFLOW_TIMEOUT', 'LOCK_CONFLICT', 'LOCK_LOST',
  'LOCK_NOT_HELD', 'STATE_CONFLICT', 'STATE_RETRIES_EXHAUSTED', 'BARRIER_TIMEOUT', 'BARRIER_BROKEN',
  'BARRIER_MISMATCH', 'COORDINATOR_UNAVAILABLE', 'INVALID_ARGUMENT', 'PAYLOAD_TOO_LARGE', 'INTERNAL'
])

/** Rebuild a typed error from its wire form (unknown codes become `INTERNAL`). */
export function errorFromWire (wire: WireError): ZeroStateError {
  const code = (KNOWN_CODES.has(wire.code) ? wire.code : 'INTERNAL') as ErrorCode
  const details = wire.details
  switch (code) {
    case 'TIMEOUT': return new TimeoutError(wire.message, details === undefined ? {} : { details })
    case 'ABORTED': return new AbortedError(wire.message, details === undefined ? {} : { details })
    case 'STATE_CONFLICT': {
      const d = details ?? {}
      return new StateConflictError(String(d.key ?? ''), Number(d.expected ?? 0), Number(d.currentVersion ?? 0))
    }
    case 'LOCK_LOST': return new LockLostError(wire.message, details)
    case 'BUDGET_EXCEEDED': return new BudgetExceededError(wire.message, details)
    default: return new ZeroStateError(code, wire.message, details === undefined ? {} : { details })
  }
}
