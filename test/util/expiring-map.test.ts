import { describe, expect, it } from 'vitest'
import { ExpiringMap } from '../../src/util/expiring-map.ts'

describe('ExpiringMap', () => {
  it('forgets entries after their own expiry or the default ttl', () => {
    let now = 1_000
    const map = new ExpiringMap<string, number>({ maxEntries: 10, ttlMs: 100, now: () => now })
    map.set('default', 1)
    map.set('own', 2, 1_050)
    now = 1_049
    expect([map.get('default'), map.get('own')]).toEqual([1, 2])
    now = 1_050
    expect(map.has('own')).toBe(false)
    now = 1_100
    expect(map.get('default')).toBeUndefined()
    expect(map.size).toBe(0)
  })

  it('drops the oldest entries beyond its cap, and a re-set entry counts as new', () => {
    const map = new ExpiringMap<string, number>({ maxEntries: 2 })
    map.set('a', 1)
    map.set('b', 2)
    map.set('a', 3)
    map.set('c', 4)
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([3, undefined, 4])
  })
})
