/**
 * The coordination metrics, registered on a registry handed in (one object
 * per authority: prom-client rejects a name registered twice on a registry).
 *
 * @example
 * ```ts
 * const metrics = createCoordinationMetrics(new Registry())
 * metrics.locksAcquired.inc({ type: 'exclusive' })
 * ```
 */
import { Counter, Histogram, type Registry } from 'prom-client'

export interface CoordinationMetrics {
  locksAcquired: Counter<'type'>
  locksReleased: Counter<'type' | 'reason'>
  lockConflicts: Counter<'type'>
  lockExpiries: Counter<'type'>
  lockWaitSeconds: Histogram<'type'>
  stateUpdates: Counter
  stateConflicts: Counter
  barrierWaits: Counter<'outcome'>
  barrierWaitSeconds: Histogram<'outcome'>
}

const WAIT_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120]

export function createCoordinationMetrics (registry: Registry): CoordinationMetrics {
  const registers = [registry]
  return {
    locksAcquired: new Counter({ name: 'zerostate_coordination_locks_acquired_total', help: 'Lock grants, by lock type', labelNames: ['type'], registers }),
    locksReleased: new Counter({ name: 'zerostate_coordination_locks_released_total', help: 'Leases ended, by lock type and reason (released | expired | holder_stopped)', labelNames: ['type', 'reason'], registers }),
    lockConflicts: new Counter({ name: 'zerostate_coordination_lock_conflicts_total', help: 'Acquires that found the lock unavailable (failed at once or queued)', labelNames: ['type'], registers }),
    lockExpiries: new Counter({ name: 'zerostate_coordination_lock_expiries_total', help: 'Leases that ran out before release or renewal', labelNames: ['type'], registers }),
    lockWaitSeconds: new Histogram({ name: 'zerostate_coordination_lock_wait_seconds', help: 'Time from acquire to grant at the authority', labelNames: ['type'], buckets: WAIT_BUCKETS, registers }),
    stateUpdates: new Counter({ name: 'zerostate_coordination_state_updates_total', help: 'Committed shared-state writes', registers }),
    stateConflicts: new Counter({ name: 'zerostate_coordination_state_conflicts_total', help: 'Shared-state writes rejected by compare-and-set', registers }),
    barrierWaits: new Counter({ name: 'zerostate_coordination_barrier_waits_total', help: 'Barrier waits ended, by outcome (released | timeout | broken | aborted | mismatch)', labelNames: ['outcome'], registers }),
    barrierWaitSeconds: new Histogram({ name: 'zerostate_coordination_barrier_wait_seconds', help: 'Time a party waited at a barrier', labelNames: ['outcome'], buckets: WAIT_BUCKETS, registers })
  }
}
