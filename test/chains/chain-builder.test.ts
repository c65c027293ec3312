import { describe, expect, it } from 'vitest'
import { newTaskChain } from '../../src/chains/chain-builder.ts'
import { parseChain } from '../../src/chains/parse-chain.ts'
import { isZeroStateError } from '../../src/errors.ts'

describe('newTaskChain', () => {
  it('builds the same spec a plain object would be', () => {
    const spec = newTaskChain('images', { userId: 'u1' })
      .addStep({ name: 'upload', capabilities: ['upload'], taskType: 'upload' })
      .addStep({ name: 'resize', capabilities: ['resize'], taskType: 'resize', inputMapping: { upload_url: 'url' } })
      .withBudget(10)
      .withRetry({ maxAttempts: 2 })
      .build()
    expect(spec).toEqual({
      name: 'images',
      userId: 'u1',
      totalBudget: 10,
      retry: { maxAttempts: 2 },
      steps: [
        { name: 'upload', capabilities: ['upload'], taskType: 'upload' },
        { name: 'resize', capabilities: ['resize'], taskType: 'resize', inputMapping: { upload_url: 'url' } }
      ]
    })
    expect(parseChain(spec).steps).toHaveLength(2)
  })

  it('validates on build', () => {
    let caught: unknown
    try { newTaskChain('empty').build() } catch (err) { caught = err }
    expect(isZeroStateError(caught, 'INVALID_SPEC')).toBe(true)
  })
})
