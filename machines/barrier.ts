/**
 * One cyclic barrier as a pure state machine. Parties arrive; when `parties`
 * have arrived the generation is released and the barrier is reusable at once
 * (next generation). A waiter that times out (a delayed event on the actor's
 * clock) or withdraws breaks the generation: it gets `timedOut` / `aborted`,
 * everyone else waiting gets `broken`, and the next arrival starts a fresh
 * generation.
 *
 * The first arrival of a generation fixes its `parties`; a later arrival that
 * names another count gets `mismatch` and does not join.
 *
 * @example
 * ```ts
 * const barrier = createActor(barrierMachine, { input: { name: 'compile' } }).start()
 * barrier.on('released', e => { released.push(...e.tickets) })
 * barrier.send({ type: 'ARRIVE', ticket: 't1', caller: 'did:key:z#a', parties: 2, timeout: 1000 })
 * ```
 */
import { setup, enqueueActions } from 'xstate'
import { holderMatches } from './holder-match.ts'

export interface BarrierArrival {
  ticket: string
  caller: string
}

export interface BarrierContext {
  name: string
  generation: number
  /** Parties of the current generation (0 while nobody waits). */
  parties: number
  arrivals: BarrierArrival[]
}

export interface BarrierInput {
  name: string
  /** Carried over from an earlier actor of the same barrier. */
  generation?: number
}

export type BarrierEvent =
  | { type: 'ARRIVE', ticket: string, caller: string, parties: number, timeout?: number }
  /** The waiter gave up (abort). */
  | { type: 'CANCEL', ticket: string }
  /** Every waiter of a holder (agent id) or node leaves. */
  | { type: 'RELEASE_HOLDER', holder: string }
  /** Internal: a waiter's timeout ran out. */
  | { type: 'TIMEOUT', ticket: string }

export type BarrierBreakReason = 'timeout' | 'aborted' | 'holder_stopped'

export type BarrierEmitted =
  | { type: 'released', generation: number, parties: number, tickets: string[] }
  | { type: 'timedOut', ticket: string, generation: number }
  | { type: 'aborted', ticket: string, generation: number, reason: 'cancelled' | 'holder_stopped' }
  | { type: 'broken', generation: number, tickets: string[], reason: BarrierBreakReason }
  | { type: 'mismatch', ticket: string, expected: number, got: number }

const timeoutId = (ticket: string): string => `timeout:${ticket}`

interface BarrierEnqueue {
  assign: (update: Partial<BarrierContext>) => void
  emit: (event: BarrierEmitted) => void
  cancel: (id: string) => void
}

/** End the current generation: cancel every pending timeout and start the next one empty. */
function endGeneration (enqueue: BarrierEnqueue, context: BarrierContext): void {
  for (const arrival of context.arrivals) enqueue.cancel(timeoutId(arrival.ticket))
  enqueue.assign({ generation: context.generation + 1, parties: 0, arrivals: [] })
}

/** Some waiters leave badly: they get their own outcome, the rest of the generation is broken. */
function breakGeneration (enqueue: BarrierEnqueue, context: BarrierContext, leaving: readonly BarrierArrival[], reason: BarrierBreakReason): void {
  const gone = new Set(leaving.map(a => a.ticket))
  for (const arrival of leaving) {
    enqueue.emit(reason === 'timeout'
      ? { type: 'timedOut', ticket: arrival.ticket, generation: context.generation }
      : { type: 'aborted', ticket: arrival.ticket, generation: context.generation, reason: reason === 'aborted' ? 'cancelled' : 'holder_stopped' })
  }
  const others = context.arrivals.filter(a => !gone.has(a.ticket)).map(a => a.ticket)
  if (others.length > 0) enqueue.emit({ type: 'broken', generation: context.generation, tickets: others, reason })
  endGeneration(enqueue, context)
}

export const barrierMachine = setup({
  types: {
    context: {} as BarrierContext,
    events: {} as BarrierEvent,
    input: {} as BarrierInput,
    emitted: {} as BarrierEmitted
  },
  guards: {
    hasArrivals: ({ context }) => context.arrivals.length > 0,
    noArrivals: ({ context }) => context.arrivals.length === 0
  },
  actions: {
    arrive: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ARRIVE') return
      if (context.arrivals.length > 0 && context.parties !== event.parties) {
        enqueue.emit({ type: 'mismatch', ticket: event.ticket, expected: context.parties, got: event.parties })
        return
      }
      const arrivals = [...context.arrivals, { ticket: event.ticket, caller: event.caller }]
      if (arrivals.length >= event.parties) {
        enqueue.emit({ type: 'released', generation: context.generation, parties: event.parties, tickets: arrivals.map(a => a.ticket) })
        endGeneration(enqueue, { ...context, arrivals: context.arrivals })
        return
      }
      enqueue.assign({ parties: event.parties, arrivals })
      if (event.timeout !== undefined) {
        enqueue.raise({ type: 'TIMEOUT', ticket: event.ticket }, { id: timeoutId(event.ticket), delay: event.timeout })
      }
    }),
    timeOut: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'TIMEOUT') return
      const arrival = context.arrivals.find(a => a.ticket === event.ticket)
      if (arrival !== undefined) breakGeneration(enqueue, context, [arrival], 'timeout')
    }),
    cancel: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CANCEL') return
      const arrival = context.arrivals.find(a => a.ticket === event.ticket)
      if (arrival !== undefined) breakGeneration(enqueue, context, [arrival], 'aborted')
    }),
    releaseHolder: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RELEASE_HOLDER') return
      const leaving = context.arrivals.filter(a => holderMatches(a.caller, event.holder))
      if (leaving.length > 0) breakGeneration(enqueue, context, leaving, 'holder_stopped')
    })
  }
}).createMachine({
  id: 'barrier',
  context: ({ input }) => ({ name: input.name, generation: input.generation ?? 0, parties: 0, arrivals: [] }),
  initial: 'open',
  on: {
    ARRIVE: { actions: 'arrive' },
    TIMEOUT: { actions: 'timeOut' },
    CANCEL: { actions: 'cancel' },
    RELEASE_HOLDER: { actions: 'releaseHolder' }
  },
  states: {
    open: { always: { guard: 'hasArrivals', target: 'waiting' } },
    waiting: { always: { guard: 'noArrivals', target: 'open' } }
  }
})
