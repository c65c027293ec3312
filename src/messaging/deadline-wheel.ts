/**
 * Deadlines for many short-lived items with one timer: items are kept in
 * buckets of `resolutionMs`, and a single timer fires for the earliest
 * bucket. Adding and removing are O(1), which keeps a timer per request off
 * the hot path. An item expires at most `resolutionMs` after its deadline.
 */
const MAX_DELAY_MS = 2 ** 31 - 1

export class DeadlineWheel<T> {
  private readonly buckets = new Map<number, Set<T>>()
  private timer: NodeJS.Timeout | undefined
  private timerAt = Number.POSITIVE_INFINITY

  constructor (
    private readonly onExpire: (item: T) => void,
    private readonly resolutionMs = 5,
    /** Epoch-ms clock the deadlines are read against. Default `Date.now`. */
    private readonly now: () => number = Date.now
  ) {}

  /** Track `item` until `deadline` (epoch ms). Returns the key to remove it with. */
  add (item: T, deadline: number): number {
    const key = Math.ceil(deadline / this.resolutionMs) * this.resolutionMs
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      bucket = new Set()
      this.buckets.set(key, bucket)
    }
    bucket.add(item)
    if (key < this.timerAt) this.arm(key)
    return key
  }

  /** Stop tracking `item` (added under `key`). */
  remove (item: T, key: number): void {
    const bucket = this.buckets.get(key)
    if (bucket === undefined) return
    bucket.delete(item)
    if (bucket.size === 0) this.buckets.delete(key)
  }

  /** Forget everything and cancel the timer. */
  clear (): void {
    this.buckets.clear()
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Number.POSITIVE_INFINITY
  }

  private arm (at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timerAt = at
    // setTimeout fires at once for delays past 2^31-1 ms; wake up then and re-arm.
    this.timer = setTimeout(() => { this.fire() }, Math.min(MAX_DELAY_MS, Math.max(0, at - this.now())))
    this.timer.unref()
  }

  private fire (): void {
    this.timer = undefined
    this.timerAt = Number.POSITIVE_INFINITY
    const now = this.now()
    let next = Number.POSITIVE_INFINITY
    for (const [key, bucket] of [...this.buckets]) {
      if (key > now) {
        if (key < next) next = key
        continue
      }
      this.buckets.delete(key)
      for (const item of bucket) this.onExpire(item)
    }
    // onExpire may have added items (and armed the timer) already.
    for (const key of this.buckets.keys()) if (key < next) next = key
    if (next !== Number.POSITIVE_INFINITY && next < this.timerAt) this.arm(next)
  }
}
