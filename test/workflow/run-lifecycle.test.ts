import { describe, expect, it } from 'vitest'
import { rememberBounded, resultCancelledOnAbort, settleAll } from '../../src/workflow/run-lifecycle.ts'
import { isZeroStateError } from '../../src/errors.ts'

describe('run lifecycle helpers', () => {
  it('cancels the run when the signal aborts, and resolves with its result', async () => {
    let finish!: (value: string) => void
    const result = new Promise<string>(resolve => { finish = resolve })
    const controller = new AbortController()
    const pending = resultCancelledOnAbort(result, controller.signal, () => { finish('cancelled') })
    controller.abort()
    await expect(pending).resolves.toBe('cancelled')
  })

  it('does not cancel when there is no signal or it never aborts', async () => {
    let cancelled = 0
    await expect(resultCancelledOnAbort(Promise.resolve(1), undefined, () => { cancelled++ })).resolves.toBe(1)
    await expect(resultCancelledOnAbort(Promise.resolve(2), new AbortController().signal, () => { cancelled++ })).resolves.toBe(2)
    expect(cancelled).toBe(0)
  })

  it('waits for every run, ignoring rejections', async () => {
    await expect(settleAll([Promise.resolve(1), Promise.reject(new Error('x'))])).resolves.toBeUndefined()
  })

  it('stops waiting with ABORTED when the signal aborts', async () => {
    const controller = new AbortController()
    const waiting = settleAll([new Promise(() => {})], { signal: controller.signal, what: 'stopping' })
    controller.abort()
    await expect(waiting).rejects.toSatisfy(err => isZeroStateError(err, 'ABORTED'))
    await expect(settleAll([], { signal: AbortSignal.abort() })).rejects.toBeDefined()
  })

  it('remembers only the newest entries', () => {
    const map = new Map<string, number>()
    for (const [i, key] of ['a', 'b', 'c', 'a'].entries()) rememberBounded(map, key, i, 2)
    expect([...map.entries()]).toEqual([['c', 2], ['a', 3]])
  })
})
