/**
 * The payload of a RESPONSE: `{ r: output, c?: cost }` on success,
 * `{ e: { code, message, details? } }` on failure.
 */
import type { WireError } from '../errors.ts'

export type TaskResult =
  | { ok: true, output: unknown, cost: number }
  | { ok: false, error: WireError }

export function resultToPayload (result: TaskResult): Record<string, unknown> {
  if (result.ok) return result.cost === 0 ? { r: result.output } : { r: result.output, c: result.cost }
  return { e: result.error }
}

/** Parse a RESPONSE payload; undefined when it is not one. */
export function payloadToResult (payload: unknown): TaskResult | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined
  const p = payload as Record<string, unknown>
  if ('e' in p) {
    const e = p.e as Record<string, unknown> | null
    if (typeof e !== 'object' || e === null || typeof e.code !== 'string' || typeof e.message !== 'string') return undefined
    const error: WireError = { code: e.code, message: e.message }
    if (typeof e.details === 'object' && e.details !== null && !Array.isArray(e.details)) error.details = e.details as Record<string, unknown>
    return { ok: false, error }
  }
  if (!('r' in p) && !('c' in p)) {
    return { ok: true, output: undefined, cost: 0 }
  }
  const cost = p.c === undefined ? 0 : p.c
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) return undefined
  return { ok: true, output: p.r, cost }
}
