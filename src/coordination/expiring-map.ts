/**
 * A map that forgets entries a fixed time after they were set, and its
 * oldest entries beyond a size cap. Pruned on use (no timers), with the time
 * read from a clock handed in.
 *
 * @example
 * ```ts
 * const seen = new ExpiringMap<string, number>({ ttlMs: 60_000, maxEntries: 10_000, now: () => Date.now() })
 * seen.set('req-1', 42)
 * seen.get('req-1') // 42, until a minute has passed
 * ```
 */
export interface ExpiringMapInit {
  ttlMs: number
  maxEntries: number
  now: () => number
}

export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, { value: V, at: number }>()
  private readonly init: ExpiringMapInit

  constructor (init: ExpiringMapInit) {
    this.init = init
  }

  get size (): number {
    this.prune()
    return this.entries.size
  }

  get (key: K): V | undefined {
    this.prune()
    return this.entries.get(key)?.value
  }

  has (key: K): boolean {
    return this.get(key) !== undefined
  }

  /** Set (or replace) `key`; its lifetime starts now. */
  set (key: K, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, { value, at: this.init.now() })
    this.prune()
  }

  delete (key: K): void {
    this.entries.delete(key)
  }

  clear (): void {
    this.entries.clear()
  }

  /** Entries are kept in insertion order, which is time order: drop from the front. */
  private prune (): void {
    const oldest = this.init.now() - this.init.ttlMs
    for (const [key, entry] of this.entries) {
      if (entry.at > oldest && this.entries.size <= this.init.maxEntries) break
      this.entries.delete(key)
    }
  }
}
