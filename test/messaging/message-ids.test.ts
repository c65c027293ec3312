import { describe, expect, it } from 'vitest'
import { MessageIdGenerator } from '../../src/messaging/message-ids.ts'

describe('MessageIdGenerator', () => {
  it('gives distinct 32-character lowercase hex ids, also across the 32-bit counter boundary', () => {
    const ids = new MessageIdGenerator()
    Object.assign(ids, { counter: 2 ** 32 - 3 })
    const seen = new Set<string>()
    for (let i = 0; i < 10; i++) {
      const id = ids.next()
      expect(id).toMatch(/^[0-9a-f]{32}$/)
      seen.add(id)
    }
    expect(seen.size).toBe(10)
    expect([...seen].slice(0, 3).map(id => id.slice(20))).toEqual(['0000fffffffe', '0000ffffffff', '000100000000'])
  })
})
