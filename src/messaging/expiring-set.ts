/**
 * A map whose entries expire after a time; swept in O(expired) by keeping
 * insertion order (entries are added with non-decreasing expiry per cache).
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V, expiresAt: number }>()

  constructor (private readonly maxEntries: number) {}

  get size (): number { return this.entries.size }

  get (key: string, now: number): V | undefined {
    const e = this.entries.get(key)
    if (e === undefined) return undefined
    if (e.expiresAt < now) { this.entries.delete(key); return undefined }
    return e.value
  }

  has (key: string, now: number): boolean { return this.get(key, now) !== undefined }

  /** Set a value; re-setting keeps the later of the two expiries. */
  set (key: string, value: V, expiresAt: number): void {
    const old = this.entries.get(key)
    if (old !== undefined) {
      old.value = value
      old.expiresAt = Math.max(old.expiresAt, expiresAt)
      return
    }
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(key, { value, expiresAt })
  }

  delete (key: string): void { this.entries.delete(key) }

  /** Remove expired entries (stops at the first live one in insertion order). */
  sweep (now: number): void {
    for (const [key, e] of this.entries) {
      if (e.expiresAt >= now) break
      this.entries.delete(key)
    }
  }

  clear (): void { this.entries.clear() }
}
