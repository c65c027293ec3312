/**
 * One shared-state key as a pure state machine: a versioned value changed
 * only by compare-and-set. Versions start at 1 and strictly increase; an
 * expected version of 0 means "must not exist yet". Every commit is emitted
 * (`committed`), in order, so watchers see every version.
 *
 * The time of a write (`now`) comes in the event: the machine never reads a clock.
 *
 * @example
 * ```ts
 * const key = createActor(sharedStateMachine, { input: { key: 'counter' } }).start()
 * key.on('committed', e => { versions.push(e.state.version) })
 * key.send({ type: 'SET', ticket: 't1', value: { n: 1 }, expectedVersion: 0, caller: 'did:key:z#a', now: 0 })
 * ```
 */
import { setup, enqueueActions } from 'xstate'

/** A committed value. `value` is plain data. */
export interface VersionedValue {
  value: unknown
  version: number
  updatedBy: string
  updatedAt: number
}

export interface SharedStateContext {
  key: string
  /** null while the key has never been written. */
  current: VersionedValue | null
}

export interface SharedStateInput {
  key: string
}

export type SharedStateEvent =
  { type: 'SET', ticket: string, value: unknown, expectedVersion: number, caller: string, now: number }

export type SharedStateEmitted =
  | { type: 'committed', ticket: string, key: string, state: VersionedValue }
  | { type: 'conflict', ticket: string, key: string, expected: number, currentVersion: number }

export const sharedStateMachine = setup({
  types: {
    context: {} as SharedStateContext,
    events: {} as SharedStateEvent,
    input: {} as SharedStateInput,
    emitted: {} as SharedStateEmitted
  },
  guards: {
    exists: ({ context }) => context.current !== null
  },
  actions: {
    compareAndSet: enqueueActions(({ context, event, enqueue }) => {
      const currentVersion = context.current?.version ?? 0
      if (event.expectedVersion !== currentVersion) {
        enqueue.emit({ type: 'conflict', ticket: event.ticket, key: context.key, expected: event.expectedVersion, currentVersion })
        return
      }
      const state: VersionedValue = { value: event.value, version: currentVersion + 1, updatedBy: event.caller, updatedAt: event.now }
      enqueue.assign({ current: state })
      enqueue.emit({ type: 'committed', ticket: event.ticket, key: context.key, state })
    })
  }
}).createMachine({
  id: 'sharedState',
  context: ({ input }) => ({ key: input.key, current: null }),
  initial: 'absent',
  on: {
    SET: { actions: 'compareAndSet' }
  },
  states: {
    absent: { always: { guard: 'exists', target: 'present' } },
    present: {}
  }
})
