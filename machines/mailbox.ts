/**
 * A priority mailbox kept as a plain array: highest `priority` first, FIFO
 * within one priority. Pure and immutable (each change returns a new array),
 * so it can live in machine context.
 */

/** Anything with a priority. */
export interface Prioritised { priority: number }

/**
 * Insert `item` after every item of the same or higher priority.
 *
 * @example
 * ```ts
 * enqueueByPriority([{ priority: 5 }, { priority: 1 }], { priority: 3 }) // 5, 3, 1
 * ```
 */
export function enqueueByPriority<T extends Prioritised> (queue: readonly T[], item: T): T[] {
  let lo = 0
  let hi = queue.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (queue[mid].priority >= item.priority) lo = mid + 1
    else hi = mid
  }
  const next = queue.slice()
  next.splice(lo, 0, item)
  return next
}

/** The queue without the item at `index` (the same array when out of range). */
export function removeAt<T> (queue: T[], index: number): T[] {
  if (index < 0 || index >= queue.length) return queue
  const next = queue.slice()
  next.splice(index, 1)
  return next
}
