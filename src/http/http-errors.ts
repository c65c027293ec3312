/**
 * How failures become HTTP answers: a status from the error's code and a
 * JSON body `{ code, message, details }`.
 */
import { isZeroStateError, errorToWire } from '../errors.ts'

/** The JSON body of every error answer. */
export interface HttpErrorBody {
  code: string
  message: string
  details: Record<string, unknown>
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_JSON: 400,
  INVALID_SPEC: 400,
  CYCLE: 400,
  INVALID_ARGUMENT: 400,
  INVALID_ADDRESS: 400,
  NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  NO_AGENT: 404,
  METHOD_NOT_ALLOWED: 405,
  RUN_FINISHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MAILBOX_FULL: 429,
  HANDLER_ERROR: 502,
  DELIVERY_FAILED: 502,
  AGENT_STOPPED: 503,
  NODE_STOPPED: 503,
  TIMEOUT: 504
}

/** An error the HTTP layer raises itself (codes beyond the runtime's, such as `INVALID_JSON`). */
export class HttpError extends Error {
  readonly code: string
  readonly statusCode: number
  readonly details: Record<string, unknown>

  constructor (code: string, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = 'HttpError'
    this.code = code
    this.statusCode = STATUS_BY_CODE[code] ?? 500
    this.details = details
  }
}

/** The status and body answering `err`. */
export function toHttpError (err: unknown): { status: number, body: HttpErrorBody } {
  if (err instanceof HttpError) return { status: err.statusCode, body: { code: err.code, message: err.message, details: err.details } }
  if (isZeroStateError(err)) {
    const wire = err.toWire()
    return { status: STATUS_BY_CODE[wire.code] ?? 500, body: { code: wire.code, message: wire.message, details: wire.details ?? {} } }
  }
  const framework = frameworkError(err)
  if (framework !== undefined) return framework
  const wire = errorToWire(err)
  return { status: 500, body: { code: 'INTERNAL', message: wire.message, details: {} } }
}

/** Errors fastify raises while reading a request (body parsing, size, validation, content type). */
function frameworkError (err: unknown): { status: number, body: HttpErrorBody } | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const { code, statusCode, message, validation } = err as { code?: unknown, statusCode?: unknown, message?: unknown, validation?: unknown }
  const text = typeof message === 'string' ? message : 'bad request'
  if (validation !== undefined) return answer('INVALID_ARGUMENT', text, { issues: validation })
  if (statusCode === 413 || code === 'FST_ERR_CTP_BODY_TOO_LARGE') return answer('PAYLOAD_TOO_LARGE', 'the request body is larger than the limit', {})
  if (statusCode === 415 || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return answer('UNSUPPORTED_MEDIA_TYPE', 'send JSON (content-type: application/json)', {})
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
    return answer('INVALID_JSON', `the request body is not valid JSON: ${text}`, {})
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return { status: statusCode, body: { code: 'BAD_REQUEST', message: text, details: {} } }
  return undefined
}

function answer (code: string, message: string, details: Record<string, unknown>): { status: number, body: HttpErrorBody } {
  return { status: STATUS_BY_CODE[code] ?? 400, body: { code, message, details } }
}
