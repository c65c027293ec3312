/**
 * Plumbing shared by the workflow services (chains, DAGs): wiring a caller's
 * AbortSignal to a run's cancellation, waiting for runs to end on shutdown,
 * and remembering a bounded number of finished runs.
 */
import { AbortedError } from '../errors.ts'

/**
 * Wait for `result`; if `signal` aborts first, call `cancel` (the run then
 * ends and `result` settles with its cancelled outcome).
 *
 * @example
 * ```ts
 * return await resultCancelledOnAbort(run.result, signal, () => service.cancel(run.id, 'aborted by the caller'))
 * ```
 */
export async function resultCancelledOnAbort<T> (result: Promise<T>, signal: AbortSignal | undefined, cancel: () => void): Promise<T> {
  if (signal === undefined) return await result
  const onAbort = (): void => { cancel() }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await result
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Wait until every promise settled (rejections ignored), or reject with
 * `AbortedError` when `signal` aborts first.
 *
 * @example
 * ```ts
 * await settleAll(runs.map(run => run.result), { signal, what: 'stopping chain runs' })
 * ```
 */
export async function settleAll (pending: ReadonlyArray<Promise<unknown>>, options: { signal?: AbortSignal, what?: string } = {}): Promise<void> {
  const all = Promise.allSettled(pending).then(() => undefined)
  const { signal } = options
  if (signal === undefined) return await all
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { reject(new AbortedError(`${options.what ?? 'waiting'} was aborted`, { cause: signal.reason })) }
    signal.addEventListener('abort', onAbort, { once: true })
    void all.then(() => { signal.removeEventListener('abort', onAbort); resolve() })
  })
}

/**
 * Set `key` in `map` (insertion-ordered) and drop the oldest entries beyond `limit`.
 *
 * @example
 * ```ts
 * rememberBounded(this.finished, result.id, result, 100)
 * ```
 */
export function rememberBounded<K, V> (map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key)
  map.set(key, value)
  while (map.size > Math.max(0, limit)) {
    const oldest = map.keys().next()
    if (oldest.done === true) break
    map.delete(oldest.value)
  }
}
