import { describe, expect, it } from 'vitest'
import { applyInputMapping, getPath, tryApplyInputMapping } from '../../src/workflow/input-mapping.ts'
import { isZeroStateError } from '../../src/errors.ts'

describe('getPath', () => {
  it('follows dot paths through objects and arrays', () => {
    const data = { a: { b: [10, { c: 'x' }] } }
    expect(getPath(data, 'a.b.0')).toEqual({ found: true, value: 10 })
    expect(getPath(data, 'a.b.1.c')).toEqual({ found: true, value: 'x' })
    expect(getPath(data, '')).toEqual({ found: true, value: data })
  })

  it('reports missing paths as not found, but a present undefined or null as found', () => {
    expect(getPath({ a: 1 }, 'a.b').found).toBe(false)
    expect(getPath({ a: 1 }, 'b').found).toBe(false)
    expect(getPath(null, 'a').found).toBe(false)
    expect(getPath({ a: null }, 'a')).toEqual({ found: true, value: null })
    expect(getPath({ a: undefined }, 'a').found).toBe(true)
    expect(getPath({}, 'toString').found).toBe(false)
  })
})

describe('applyInputMapping', () => {
  const outputs: Record<string, unknown> = { upload: { url: 'u1', meta: { size: 3 } } }
  const resolve = (path: string) => getPath(outputs, path)

  it('merges mapped values over the static input', () => {
    const input = applyInputMapping({ quality: 80, url: 'old' }, { 'upload.url': 'url', 'upload.meta.size': 'size' }, resolve)
    expect(input).toEqual({ quality: 80, url: 'u1', size: 3 })
  })

  it('returns a copy of the static input when there is no mapping', () => {
    const staticInput = { a: 1 }
    const input = applyInputMapping(staticInput, undefined, resolve)
    expect(input).toEqual({ a: 1 })
    expect(input).not.toBe(staticInput)
  })

  it('throws MAPPING_FAILED naming the missing source instead of passing undefined', () => {
    let caught: unknown
    try { applyInputMapping({}, { 'upload.missing': 'x' }, resolve) } catch (err) { caught = err }
    expect(isZeroStateError(caught, 'MAPPING_FAILED')).toBe(true)
    expect((caught as Error).message).toContain('upload.missing')
  })

  it('tryApplyInputMapping returns the error as plain data', () => {
    const result = tryApplyInputMapping({}, { nope: 'x' }, resolve)
    expect(result).toMatchObject({ ok: false, error: { code: 'MAPPING_FAILED', details: { source: 'nope', key: 'x' } } })
  })
})
