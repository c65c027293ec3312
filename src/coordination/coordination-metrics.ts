/**
 * The coordination metrics, registered on a registry handed in (one object
 * per authority: prom-client rejects a name registered twice on a registry).
 * Counted as plain numbers, read when the registry is scraped.
 *
 * @example
 * ```ts
 * const metrics = createCoordinationMetrics(new Registry())
 * metrics.locksAcquired.inc({ type: 'exclusive' })
 * ```
 */
import type { Registry } from 'prom-client'
import { TallyCounter } from '../metrics/tally-counter.ts'
import { TallyHistogram } from '../metrics/tally-histogram.ts'

export interface CoordinationMetrics {
  locksAcquired: TallyCounter<'type'>
  locksReleased: TallyCounter<'type' | 'reason'>
  lockConflicts: TallyCounter<'type'>
  lockExpiries: TallyCounter<'type'>
  lockWaitSeconds: TallyHistogram
  stateUpdates: TallyCounter
  stateConflicts: TallyCounter
  barrierWaits: TallyCounter<'outcome'>
  barrierWaitSeconds: TallyHistogram
}

const WAIT_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120]

export function createCoordinationMetrics (registry: Registry): CoordinationMetrics {
  const registers = [registry]
  return {
    locksAcquired: new TallyCounter({ name: 'zerostate_coordination_locks_acquired_total', help: 'Lock grants, by lock type', labelNames: ['type'], registers }),
    locksReleased: new TallyCounter({ name: 'zerostate_coordination_locks_released_total', help: 'Leases ended, by lock type and reason (released | expired | holder_stopped)', labelNames: ['type', 'reason'], registers }),
    lockConflicts: new TallyCounter({ name: 'zerostate_coordination_lock_conflicts_total', help: 'Acquires that found the lock unavailable (failed at once or queued)', labelNames: ['type'], registers }),
    lockExpiries: new TallyCounter({ name: 'zerostate_coordination_lock_expiries_total', help: 'Leases that ran out before release or renewal', labelNames: ['type'], registers }),
    lockWaitSeconds: new TallyHistogram({ name: 'zerostate_coordination_lock_wait_seconds', help: 'Time from acquire to grant at the authority', labelNames: ['type'], buckets: WAIT_BUCKETS, registers }),
    stateUpdates: new TallyCounter({ name: 'zerostate_coordination_state_updates_total', help: 'Committed shared-state writes', registers }),
    stateConflicts: new TallyCounter({ name: 'zerostate_coordination_state_conflicts_total', help: 'Shared-state writes rejected by compare-and-set', registers }),
    barrierWaits: new TallyCounter({ name: 'zerostate_coordination_barrier_waits_total', help: 'Barrier waits ended, by outcome (released | timeout | broken | aborted | mismatch)', labelNames: ['outcome'], registers }),
    barrierWaitSeconds: new TallyHistogram({ name: 'zerostate_coordination_barrier_wait_seconds', help: 'Time a party waited at a barrier', labelNames: ['outcome'], buckets: WAIT_BUCKETS, registers })
  }
}
