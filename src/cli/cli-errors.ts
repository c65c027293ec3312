/**
 * How the CLI fails: expected errors (bad flags, unreachable node, invalid
 * spec) print one human line and exit non-zero; only unexpected ones show a
 * stack trace.
 */
import { isZeroStateError } from '../errors.ts'
import { ApiError } from './sse-client.ts'

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 3, interrupted: 130 } as const

/** A problem the user can fix: printed as is, with the exit code. */
export class CliError extends Error {
  readonly exitCode: number
  readonly hint?: string

  constructor (message: string, options: { exitCode?: number, hint?: string, cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CliError'
    this.exitCode = options.exitCode ?? EXIT.usage
    if (options.hint !== undefined) this.hint = options.hint
  }
}

/** A human description of `err` and the exit code it deserves. */
export function describeError (err: unknown, verbose = false): { text: string, exitCode: number } {
  if (err instanceof CliError) return { text: `error: ${err.message}${err.hint === undefined ? '' : `\n  ${err.hint}`}`, exitCode: err.exitCode }
  if (err instanceof ApiError) {
    const issues = Array.isArray(err.details.issues) ? (err.details.issues as Array<{ path?: string, message?: string }>) : []
    const lines = issues.map(i => `  - ${i.path ?? ''}: ${i.message ?? ''}`)
    return { text: [`error: ${err.message} (${err.code}, HTTP ${err.status})`, ...lines].join('\n'), exitCode: err.status >= 500 ? EXIT.failed : EXIT.usage }
  }
  if (isZeroStateError(err)) {
    const issues = err.details !== undefined && Array.isArray(err.details.issues) ? err.details.issues as Array<{ path: string, message: string }> : []
    return { text: [`error: ${err.message} (${err.code})`, ...issues.map(i => `  - ${i.path}: ${i.message}`)].join('\n'), exitCode: EXIT.failed }
  }
  const network = networkCode(err)
  if (network !== undefined) return { text: `error: cannot reach the node (${network})`, exitCode: EXIT.unavailable }
  if (err instanceof Error) return { text: verbose ? `error: ${err.stack ?? err.message}` : `error: ${err.message}\n  (set ZEROSTATE_DEBUG=1 for the stack trace)`, exitCode: EXIT.failed }
  return { text: `error: ${String(err)}`, exitCode: EXIT.failed }
}

/** The system error code of a failed fetch or socket (ECONNREFUSED, ENOTFOUND, ...). */
export function networkCode (err: unknown): string | undefined {
  let current: unknown = err
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code
    if ((current as { name?: unknown }).name === 'TimeoutError') return 'timed out'
    const cause: unknown = (current as { cause?: unknown }).cause
    if (current instanceof TypeError && current.message === 'fetch failed' && cause instanceof Error && networkCode(cause) === undefined) return cause.message
    current = cause
  }
  return undefined
}
