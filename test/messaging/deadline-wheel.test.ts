import { afterEach, describe, expect, it, vi } from 'vitest'
import { DeadlineWheel } from '../../src/messaging/deadline-wheel.ts'

describe('DeadlineWheel', () => {
  afterEach(() => { vi.useRealTimers() })

  it('expires items at most one resolution after their deadline, in deadline order', () => {
    vi.useFakeTimers({ now: 1_000 })
    const expired: string[] = []
    const wheel = new DeadlineWheel<string>(item => { expired.push(item) }, 5)
    wheel.add('late', 1_100)
    wheel.add('early', 1_020)
    vi.advanceTimersByTime(19)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(6)
    expect(expired).toEqual(['early'])
    vi.advanceTimersByTime(80)
    expect(expired).toEqual(['early', 'late'])
  })

  it('never expires a removed item, and re-arms for items added while firing', () => {
    vi.useFakeTimers({ now: 0 })
    const expired: string[] = []
    const wheel: DeadlineWheel<string> = new DeadlineWheel<string>(item => {
      expired.push(item)
      if (item === 'first') wheel.add('chained', Date.now() + 10)
    }, 5)
    const key = wheel.add('removed', 10)
    wheel.add('first', 10)
    wheel.remove('removed', key)
    vi.advanceTimersByTime(10)
    expect(expired).toEqual(['first'])
    vi.advanceTimersByTime(15)
    expect(expired).toEqual(['first', 'chained'])
  })

  it('waits out deadlines beyond the longest setTimeout delay instead of firing at once', () => {
    vi.useFakeTimers({ now: 0 })
    const expired: string[] = []
    const wheel = new DeadlineWheel<string>(item => { expired.push(item) }, 5)
    wheel.add('far', 2 ** 33)
    vi.advanceTimersByTime(2 ** 31 + 10)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(2 ** 33)
    expect(expired).toEqual(['far'])
  })

  it('reads deadlines against the clock it is given', () => {
    vi.useFakeTimers({ now: 0 })
    let clock = 50_000 // the given clock runs ahead of Date.now()
    const expired: string[] = []
    const wheel = new DeadlineWheel<string>(item => { expired.push(item) }, 5, () => clock)
    wheel.add('task', 50_100)
    clock += 99
    vi.advanceTimersByTime(99)
    expect(expired).toEqual([])
    clock += 1
    vi.advanceTimersByTime(1)
    expect(expired).toEqual(['task'])
  })
})

