/**
 * Validation helpers shared by the chain and DAG spec parsers: a collector
 * that gathers every problem as `{ path, message }` and throws one
 * `InvalidSpecError` listing all of them, and field readers that accept both
 * the TypeScript camelCase names and the seed's snake_case JSON names
 * (`agent_id` / `agentId`, `input_mapping` / `inputMapping`, ...), rejecting
 * unknown fields with their path.
 */
import { InvalidSpecError } from '../errors.ts'
import { durationProblem, tryParseDuration } from './duration.ts'
import type { RetryPolicy } from './retry-policy.ts'

/** One validation problem. `path` is written with the spelling the spec used, e.g. `steps[2].agent_id`. */
export interface SpecIssue { path: string, message: string }

/** Gathers validation problems. */
export interface SpecIssueCollector {
  readonly issues: readonly SpecIssue[]
  add: (path: string, message: string) => void
  /** Throw one InvalidSpecError listing every problem, if there are any. */
  throwIfAny: () => void
}

/**
 * @example
 * ```ts
 * const issues = createSpecIssues()
 * if (steps.length === 0) issues.add('steps', 'must not be empty')
 * issues.throwIfAny()
 * ```
 */
export function createSpecIssues (): SpecIssueCollector {
  const issues: SpecIssue[] = []
  return {
    issues,
    add (path, message) { issues.push({ path: path === '' ? '(root)' : path, message }) },
    throwIfAny () { if (issues.length > 0) throw new InvalidSpecError([...issues]) }
  }
}

/**
 * A spec given as a JSON string is parsed; anything else is returned as is.
 *
 * @throws InvalidSpecError at path `(root)` when the string is not valid JSON
 */
export function specValue (spec: unknown): unknown {
  if (typeof spec !== 'string') return spec
  try {
    return JSON.parse(spec)
  } catch (err) {
    throw new InvalidSpecError([{ path: '(root)', message: `not valid JSON: ${(err as Error).message}` }])
  }
}

/** `"agent_id"` -> `"agentId"`; camelCase names are returned unchanged. */
export function camelCase (key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** `path` + `key` -> `"path.key"` (or `"key"` at the root). */
export function childPath (path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  return path === '' ? key : `${path}.${key}`
}

/** A spec object whose fields were read under their canonical (camelCase) names. */
export interface SpecObject {
  /** Path of the object itself. */
  readonly path: string
  has: (name: string) => boolean
  /** The raw value of a field, by canonical name. */
  get: (name: string) => unknown
  /** The path of a field, spelled as the spec spelled it. */
  pathOf: (name: string) => string
}

/** True for `{ ... }` objects (not arrays, not null, not class instances like Date). */
export function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Read the fields of a spec object. Each key is taken in camelCase or
 * snake_case (or as an `aliases` key, e.g. `{ backoff: 'backoffMs' }`) and
 * must then be one of `allowed`; others are reported as unknown. A field
 * given under two spellings is reported too.
 *
 * @returns undefined (and an issue) when `value` is not an object
 */
export function readSpecObject (
  value: unknown,
  path: string,
  issues: SpecIssueCollector,
  allowed: readonly string[],
  aliases: Readonly<Record<string, string>> = {}
): SpecObject | undefined {
  if (!isPlainObject(value)) {
    issues.add(path, 'must be an object')
    return undefined
  }
  const allowedSet = new Set(allowed)
  const values = new Map<string, unknown>()
  const spelled = new Map<string, string>()
  for (const [key, fieldValue] of Object.entries(value)) {
    const name = aliases[key] ?? camelCase(key)
    if (!allowedSet.has(name)) {
      issues.add(childPath(path, key), 'unknown field')
      continue
    }
    const earlier = spelled.get(name)
    if (earlier !== undefined) {
      issues.add(childPath(path, key), `given twice (also as "${earlier}")`)
      continue
    }
    if (fieldValue === undefined) continue
    values.set(name, fieldValue)
    spelled.set(name, key)
  }
  return {
    path,
    has: name => values.has(name),
    get: name => values.get(name),
    pathOf: name => childPath(path, spelled.get(name) ?? name)
  }
}

/** Options of the scalar readers. */
export interface ReadOptions { required?: boolean }

/** A non-empty string field. */
export function readString (obj: SpecObject, name: string, issues: SpecIssueCollector, options: ReadOptions = {}): string | undefined {
  if (!present(obj, name, issues, options)) return undefined
  const value = obj.get(name)
  if (typeof value !== 'string' || value.trim() === '') {
    issues.add(obj.pathOf(name), 'must be a non-empty string')
    return undefined
  }
  return value
}

/** The one key a plain object cannot hold as data (assigning it replaces the prototype). */
export const RESERVED_KEY = '__proto__'

/** An id field: a non-empty string without dots (dots separate the parts of mapping paths), not `__proto__`. */
export function readSpecId (obj: SpecObject, name: string, issues: SpecIssueCollector, options: ReadOptions = {}): string | undefined {
  const id = readString(obj, name, issues, options)
  if (id?.includes('.') === true) {
    issues.add(obj.pathOf(name), 'must not contain "."')
    return undefined
  }
  if (id === RESERVED_KEY) {
    issues.add(obj.pathOf(name), `"${RESERVED_KEY}" is reserved`)
    return undefined
  }
  return id
}

/** A finite number field, optionally `>= min` and an integer. */
export function readNumber (obj: SpecObject, name: string, issues: SpecIssueCollector, options: ReadOptions & { min?: number, integer?: boolean } = {}): number | undefined {
  if (!present(obj, name, issues, options)) return undefined
  const value = obj.get(name)
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    issues.add(obj.pathOf(name), 'must be a finite number')
    return undefined
  }
  if (options.integer === true && !Number.isInteger(value)) {
    issues.add(obj.pathOf(name), 'must be an integer')
    return undefined
  }
  if (options.min !== undefined && value < options.min) {
    issues.add(obj.pathOf(name), options.min === 0 ? 'must not be negative' : `must be at least ${options.min}`)
    return undefined
  }
  return value
}

/** A budget: a number >= 0. */
export function readBudget (obj: SpecObject, name: string, issues: SpecIssueCollector): number | undefined {
  return readNumber(obj, name, issues, { min: 0 })
}

/** A duration in milliseconds (number) or as a string such as `"15s"`. */
export function readDuration (obj: SpecObject, name: string, issues: SpecIssueCollector, options: ReadOptions & { positive?: boolean } = {}): number | undefined {
  if (!present(obj, name, issues, options)) return undefined
  const value = obj.get(name)
  const ms = tryParseDuration(value)
  if (ms === undefined) {
    issues.add(obj.pathOf(name), durationProblem(value))
    return undefined
  }
  if (options.positive === true && ms <= 0) {
    issues.add(obj.pathOf(name), 'must be greater than 0')
    return undefined
  }
  return ms
}

/** An array of non-empty strings (optionally non-empty itself). */
export function readStringArray (obj: SpecObject, name: string, issues: SpecIssueCollector, options: ReadOptions & { nonEmpty?: boolean } = {}): string[] | undefined {
  if (!present(obj, name, issues, options)) return undefined
  const value = obj.get(name)
  const path = obj.pathOf(name)
  if (!Array.isArray(value)) {
    issues.add(path, 'must be an array of strings')
    return undefined
  }
  if (options.nonEmpty === true && value.length === 0) {
    issues.add(path, 'must not be empty')
    return undefined
  }
  const bad = value.findIndex(item => typeof item !== 'string' || item.trim() === '')
  if (bad >= 0) {
    issues.add(childPath(path, bad), 'must be a non-empty string')
    return undefined
  }
  return [...value as string[]]
}

/** A plain object of arbitrary data (a step's static input). */
export function readRecord (obj: SpecObject, name: string, issues: SpecIssueCollector, options: ReadOptions = {}): Record<string, unknown> | undefined {
  if (!present(obj, name, issues, options)) return undefined
  const value = obj.get(name)
  if (!isPlainObject(value)) {
    issues.add(obj.pathOf(name), 'must be an object')
    return undefined
  }
  return { ...value }
}

/**
 * An input mapping `{ "<source path>": "<input key>" }`: non-empty source
 * paths, non-empty input keys, no input key filled twice.
 */
export function readInputMapping (obj: SpecObject, name: string, issues: SpecIssueCollector): Record<string, string> | undefined {
  if (!obj.has(name)) return undefined
  const value = obj.get(name)
  const path = obj.pathOf(name)
  if (!isPlainObject(value)) {
    issues.add(path, 'must be an object of "<source path>": "<input key>"')
    return undefined
  }
  const mapping: Record<string, string> = {}
  const targets = new Map<string, string>()
  let ok = true
  for (const [source, key] of Object.entries(value)) {
    const entryPath = childPath(path, source)
    if (source.trim() === '' || source.split('.').some(part => part === '')) {
      issues.add(entryPath, 'source path must be a non-empty dot path')
      ok = false
    } else if (typeof key !== 'string' || key.trim() === '') {
      issues.add(entryPath, 'input key must be a non-empty string')
      ok = false
    } else if (key === RESERVED_KEY || source.split('.').includes(RESERVED_KEY)) {
      issues.add(entryPath, `"${RESERVED_KEY}" is reserved`)
      ok = false
    } else if (targets.has(key)) {
      issues.add(entryPath, `input key "${key}" is already mapped from "${targets.get(key) ?? ''}"`)
      ok = false
    } else {
      targets.set(key, source)
      mapping[source] = key
    }
  }
  return ok ? mapping : undefined
}

const RETRY_FIELDS = ['maxAttempts', 'maxRetries', 'backoffMs', 'backoffMultiplier', 'maxBackoffMs'] as const
const RETRY_ALIASES: Readonly<Record<string, string>> = {
  backoff: 'backoffMs',
  multiplier: 'backoffMultiplier',
  max_backoff: 'maxBackoffMs',
  maxBackoff: 'maxBackoffMs'
}

/**
 * A retry policy: `max_attempts`/`maxAttempts` (attempts in all) or
 * `max_retries`/`maxRetries` (retries after the first), `backoff`/`backoff_ms`/
 * `backoffMs` (a duration), `backoff_multiplier`/`multiplier`,
 * `max_backoff`/`max_backoff_ms`/`maxBackoffMs` (a duration).
 */
export function readRetryPolicy (obj: SpecObject, name: string, issues: SpecIssueCollector): Partial<RetryPolicy> | undefined {
  if (!obj.has(name)) return undefined
  const retry = readSpecObject(obj.get(name), obj.pathOf(name), issues, RETRY_FIELDS, RETRY_ALIASES)
  if (retry === undefined) return undefined
  const policy: Partial<RetryPolicy> = {}
  const attempts = readNumber(retry, 'maxAttempts', issues, { min: 1, integer: true })
  const retries = readNumber(retry, 'maxRetries', issues, { min: 0, integer: true })
  if (attempts !== undefined && retries !== undefined) {
    issues.add(retry.pathOf('maxRetries'), `conflicts with ${retry.pathOf('maxAttempts')}; give one of them`)
  } else if (attempts !== undefined) {
    policy.maxAttempts = attempts
  } else if (retries !== undefined) {
    policy.maxAttempts = retries + 1
  }
  const backoffMs = readDuration(retry, 'backoffMs', issues)
  if (backoffMs !== undefined) policy.backoffMs = backoffMs
  const multiplier = readNumber(retry, 'backoffMultiplier', issues, { min: 1 })
  if (multiplier !== undefined) policy.backoffMultiplier = multiplier
  const maxBackoffMs = readDuration(retry, 'maxBackoffMs', issues)
  if (maxBackoffMs !== undefined) policy.maxBackoffMs = maxBackoffMs
  return policy
}

function present (obj: SpecObject, name: string, issues: SpecIssueCollector, options: ReadOptions): boolean {
  if (obj.has(name)) return true
  if (options.required === true) issues.add(obj.pathOf(name), 'is required')
  return false
}
