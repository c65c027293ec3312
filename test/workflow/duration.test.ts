import { describe, expect, it } from 'vitest'
import { parseDuration, tryParseDuration } from '../../src/workflow/duration.ts'
import { isZeroStateError, type InvalidSpecError } from '../../src/errors.ts'

describe('parseDuration', () => {
  it('takes numbers as milliseconds', () => {
    expect(parseDuration(250, 't')).toBe(250)
    expect(parseDuration(0, 't')).toBe(0)
  })

  it('reads unit strings, fractions and compound Go-style durations', () => {
    expect(parseDuration('15s', 't')).toBe(15_000)
    expect(parseDuration('250ms', 't')).toBe(250)
    expect(parseDuration('2m', 't')).toBe(120_000)
    expect(parseDuration('1h', 't')).toBe(3_600_000)
    expect(parseDuration('1.5s', 't')).toBe(1500)
    expect(parseDuration('1h30m', 't')).toBe(5_400_000)
    expect(parseDuration('1500', 't')).toBe(1500)
    expect(parseDuration('500us', 't')).toBe(0.5)
  })

  it('rejects bad input with INVALID_SPEC naming the path', () => {
    for (const bad of ['', 'abc', '-1s', '1d', 's', '1s2', '1.s']) {
      let caught: unknown
      try { parseDuration(bad, 'steps[1].timeout') } catch (err) { caught = err }
      expect(isZeroStateError(caught, 'INVALID_SPEC'), bad).toBe(true)
      expect((caught as InvalidSpecError).issues[0]?.path).toBe('steps[1].timeout')
    }
    expect(() => parseDuration(-5, 'x')).toThrow(/x/)
    expect(() => parseDuration(Number.NaN, 'x')).toThrow()
    expect(() => parseDuration(Infinity, 'x')).toThrow()
  })

  it('tryParseDuration returns undefined instead of throwing', () => {
    expect(tryParseDuration('nope')).toBeUndefined()
    expect(tryParseDuration({})).toBeUndefined()
    expect(tryParseDuration('3s')).toBe(3000)
  })
})
