/**
 * Input mapping shared by chains and DAGs: `{ "<source path>": "<input key>" }`.
 * Each source path is resolved by a caller-supplied function (chains and DAGs
 * differ only there) and the values found are merged over the step's static
 * input. A source that cannot be found is an error, never `undefined`.
 *
 * Pure: imports nothing but types and the error classes.
 */
import type { WireError } from '../errors.ts'
import { ZeroStateError } from '../errors.ts'

/** The result of looking a path up. `found: false` means the path does not exist (a present `undefined` is found). */
export type PathLookup = { found: true, value: unknown } | { found: false, value?: undefined }

/** Resolves one source path of a mapping. */
export type SourceResolver = (path: string) => PathLookup

/** The outcome of applying a mapping without throwing. */
export type MappingResult =
  | { ok: true, input: Record<string, unknown> }
  | { ok: false, error: WireError & { code: 'MAPPING_FAILED' } }

const NOT_FOUND: PathLookup = { found: false }

/**
 * Look up a dot path (`"a.b.0.c"`) in plain data. Array elements are reached
 * by index. The empty path returns `obj` itself.
 *
 * @example
 * ```ts
 * getPath({ a: { b: [10, 20] } }, 'a.b.1') // { found: true, value: 20 }
 * getPath({ a: 1 }, 'a.x')                // { found: false }
 * ```
 */
export function getPath (obj: unknown, dotPath: string): PathLookup {
  if (dotPath === '') return { found: true, value: obj }
  let current: unknown = obj
  for (const key of dotPath.split('.')) {
    if (typeof current !== 'object' || current === null) return NOT_FOUND
    if (!Object.prototype.hasOwnProperty.call(current, key)) return NOT_FOUND
    current = (current as Record<string, unknown>)[key]
  }
  return { found: true, value: current }
}

/**
 * Apply `mapping` over `staticInput` without throwing: the first source that
 * cannot be resolved gives a `MAPPING_FAILED` wire error naming its path.
 * Safe to call inside a pure machine.
 */
export function tryApplyInputMapping (
  staticInput: Record<string, unknown> | undefined,
  mapping: Readonly<Record<string, string>> | undefined,
  resolveSource: SourceResolver
): MappingResult {
  const input: Record<string, unknown> = { ...staticInput }
  if (mapping === undefined) return { ok: true, input }
  for (const [source, key] of Object.entries(mapping)) {
    const lookup = resolveSource(source)
    if (!lookup.found) {
      return {
        ok: false,
        error: { code: 'MAPPING_FAILED', message: `input mapping source "${source}" (for input "${key}") was not found`, details: { source, key } }
      }
    }
    input[key] = lookup.value
  }
  return { ok: true, input }
}

/**
 * Apply `mapping` over `staticInput`.
 *
 * @throws ZeroStateError with code `MAPPING_FAILED` naming the missing source path
 *
 * @example
 * ```ts
 * const input = applyInputMapping({ quality: 80 }, { 'resize.url': 'image' },
 *   path => getPath(outputs, path))
 * ```
 */
export function applyInputMapping (
  staticInput: Record<string, unknown> | undefined,
  mapping: Readonly<Record<string, string>> | undefined,
  resolveSource: SourceResolver
): Record<string, unknown> {
  const result = tryApplyInputMapping(staticInput, mapping, resolveSource)
  if (!result.ok) throw new ZeroStateError('MAPPING_FAILED', result.error.message, { details: result.error.details })
  return result.input
}
