/**
 * A map whose entries expire, bounded in size. Each entry has its own expiry
 * (default: `ttlMs` after it was set); expired entries are never returned and
 * are removed from the front (insertion order) on `set` and `sweep`, and the
 * oldest entries beyond `maxEntries` are dropped. Time comes from the `now`
 * handed in, so tests can use a simulated clock.
 *
 * @example
 * ```ts
 * const seen = new ExpiringMap<string, number>({ ttlMs: 60_000, maxEntries: 10_000 })
 * seen.set('req-1', 42)                      // forgotten a minute from now
 * seen.set('req-2', 7, Date.now() + 5_000)   // or at a time of its own
 * seen.get('req-1') // 42
 * ```
 */
export interface ExpiringMapInit {
  maxEntries: number
  /** Lifetime of entries set without an expiry of their own. Default: forever. */
  ttlMs?: number
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number
}

export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, { value: V, expiresAt: number }>()
  private readonly maxEntries: number
  private readonly ttlMs: number
  private readonly now: () => number

  constructor (init: ExpiringMapInit) {
    this.maxEntries = init.maxEntries
    this.ttlMs = init.ttlMs ?? Number.POSITIVE_INFINITY
    this.now = init.now ?? Date.now
  }

  /** Live entries (expired ones at the front are removed first). */
  get size (): number {
    this.sweep()
    return this.entries.size
  }

  /** True when nothing is stored (expired entries not swept yet count as stored). */
  get isEmpty (): boolean {
    return this.entries.size === 0
  }

  get (key: K): V | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  has (key: K): boolean {
    return this.get(key) !== undefined
  }

  /** Set (or replace) `key`, expiring at `expiresAt` (default now + ttlMs); it moves to the back. */
  set (key: K, value: V, expiresAt: number = this.now() + this.ttlMs): void {
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt })
    this.sweep()
  }

  delete (key: K): void {
    this.entries.delete(key)
  }

  clear (): void {
    this.entries.clear()
  }

  /**
   * Remove expired entries from the front and the oldest beyond the cap. With
   * expiries that do not grow with insertion order, an expired entry behind a
   * live one waits for its turn (it is still never returned).
   */
  sweep (): void {
    const now = this.now()
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size <= this.maxEntries) break
      this.entries.delete(key)
    }
  }
}
