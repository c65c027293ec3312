/**
 * The router actor's state chart. The hot path (encode, batch, authenticate,
 * dedup, deliver) runs inside the `bridge` actor supplied from
 * actors/gossip-bridge.ts; this chart owns its lifecycle: it starts the bridge
 * (subscribing the node's topics), keeps it while running, reports a bridge
 * failure, and stops it (unsubscribing) on `router.stop`.
 */
import { assign, fromCallback, setup } from 'xstate'

export interface RouterInput {
  peerId: string
  topics: string[]
}

export interface RouterContext {
  peerId: string
  topics: string[]
  error: string | null
}

export type RouterEvent = { type: 'router.stop' }

export const routerMachine = setup({
  types: {
    input: {} as RouterInput,
    context: {} as RouterContext,
    events: {} as RouterEvent
  },
  actors: {
    // A node without a network delivers locally only; createNode provides the gossipsub bridge.
    bridge: fromCallback(() => undefined)
  }
}).createMachine({
  id: 'router',
  context: ({ input }) => ({ peerId: input.peerId, topics: input.topics, error: null }),
  initial: 'running',
  states: {
    running: {
      invoke: {
        id: 'bridge',
        src: 'bridge',
        onError: {
          target: 'failed',
          actions: assign({ error: ({ event }) => event.error instanceof Error ? event.error.message : String(event.error) })
        }
      },
      on: { 'router.stop': 'stopped' }
    },
    failed: {
      on: { 'router.stop': 'stopped' }
    },
    stopped: { type: 'final' }
  }
})
