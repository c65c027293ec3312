import { describe, expect, it } from 'vitest'
import { stepMessageId } from '../../src/workflow/step-id.ts'

describe('stepMessageId', () => {
  it('is 32 lowercase hex characters', () => {
    expect(stepMessageId('run-1', 'resize', 1)).toMatch(/^[0-9a-f]{32}$/)
  })

  it('is the same for the same run, step and attempt', () => {
    expect(stepMessageId('run-1', 'resize', 2)).toBe(stepMessageId('run-1', 'resize', 2))
  })

  it('differs when any part differs, without ambiguous concatenation', () => {
    const ids = new Set([
      stepMessageId('run-1', 'resize', 1),
      stepMessageId('run-1', 'resize', 2),
      stepMessageId('run-1', 'store', 1),
      stepMessageId('run-2', 'resize', 1),
      stepMessageId('run-1r', 'esize', 1)
    ])
    expect(ids.size).toBe(5)
  })
})
