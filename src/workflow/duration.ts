/**
 * Durations in workflow specs: a number of milliseconds, or a Go-style string
 * such as `"250ms"`, `"15s"`, `"1.5s"`, `"2m"`, `"1h30m"` (units `ns`, `us`,
 * `µs`, `ms`, `s`, `m`, `h`). A string of digits alone is milliseconds.
 * At most {@link MAX_DURATION_MS}: a longer timer would fire at once.
 */
import { InvalidSpecError } from '../errors.ts'

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000
}

/** The longest duration a timer can wait (2^31 - 1 ms, about 24.8 days); Node fires longer timers after 1 ms. */
export const MAX_DURATION_MS = 2 ** 31 - 1

const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/y
const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/

/**
 * The milliseconds `value` stands for, or `undefined` when it is not a valid
 * non-negative duration. Never throws.
 */
export function tryParseDuration (value: unknown): number | undefined {
  const ms = readMilliseconds(value)
  return ms !== undefined && ms <= MAX_DURATION_MS ? ms : undefined
}

/** Why `value` is not a valid duration (for a spec issue). */
export function durationProblem (value: unknown): string {
  if ((readMilliseconds(value) ?? 0) > MAX_DURATION_MS) {
    return `duration ${JSON.stringify(value)} is longer than the most a timer can wait (${MAX_DURATION_MS} ms, about 24.8 days)`
  }
  return `not a duration: ${JSON.stringify(value)} (use milliseconds or a string like "15s", "250ms", "2m", "1h")`
}

function readMilliseconds (value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (text === '') return undefined
  if (PLAIN_NUMBER.test(text)) return Number(text)
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex
    const match = PART.exec(text)
    if (match === null || match.index !== start) return undefined
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN)
  }
  return Number.isFinite(total) ? total : undefined
}

/**
 * Milliseconds from a number (already milliseconds) or a duration string.
 *
 * @param path - where the value sits in the spec, named in the error
 * @throws InvalidSpecError when the value is negative, not finite or not a duration
 *
 * @example
 * ```ts
 * parseDuration('1.5s', 'steps[0].timeout') // 1500
 * parseDuration(250, 'timeout')             // 250
 * ```
 */
export function parseDuration (value: number | string, path: string): number {
  const ms = tryParseDuration(value)
  if (ms === undefined) {
    throw new InvalidSpecError([{ path, message: durationProblem(value) }])
  }
  return ms
}
