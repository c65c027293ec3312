/**
 * A binary min-heap of node indices kept in a plain array (so it can live in
 * a machine's context): the dag-run's ready queue, lowest spec index first.
 * Pure: no imports.
 */

/** Add `value` to the heap. O(log n). */
export function heapPush (heap: number[], value: number): void {
  let i = heap.length
  heap.push(value)
  while (i > 0) {
    const parent = (i - 1) >> 1
    if ((heap[parent] as number) <= value) break
    heap[i] = heap[parent] as number
    i = parent
  }
  heap[i] = value
}

/** Remove and return the smallest value, or undefined when empty. O(log n). */
export function heapPop (heap: number[]): number | undefined {
  const top = heap[0]
  const last = heap.pop()
  if (heap.length === 0 || last === undefined) return top
  let i = 0
  const n = heap.length
  for (;;) {
    const left = 2 * i + 1
    if (left >= n) break
    const right = left + 1
    const child = right < n && (heap[right] as number) < (heap[left] as number) ? right : left
    if ((heap[child] as number) >= last) break
    heap[i] = heap[child] as number
    i = child
  }
  heap[i] = last
  return top
}
