/**
 * The root actor of a node: every agent, router, chain run, DAG run and
 * coordination actor of the node is its child, so the node is one actor
 * system and the inspector shows all of it as one tree. Children finish or
 * fail on their own; the root reports failures through the named
 * `childFailed` action and forgets finished children through `childFinished`
 * (the runtime sends `node.stopChild` on the next microtask).
 *
 * Children arrive with their logic in the `node.spawn` event, so the root's
 * own snapshot is not meant to be persisted; what persists is each run's
 * snapshot (chain-run, dag-run), whose children use named `src` logic.
 */
import { enqueueActions, setup, stopChild, type AnyActorLogic } from 'xstate'

export type NodeEvent =
  | { type: 'node.spawn', id: string, logic: AnyActorLogic, input?: unknown }
  | { type: 'node.stopChild', id: string }

export interface NodeContext { peerId: string }

/** Done and error events of children carry the child's id. */
function childEvent (event: unknown): { actorId: string, error?: unknown } {
  return event as { actorId: string, error?: unknown }
}

export const nodeMachine = setup({
  types: {
    input: {} as { peerId: string },
    context: {} as NodeContext,
    events: {} as NodeEvent
  },
  actions: {
    childFailed: (_, _params: { id: string, error: unknown }) => undefined,
    /** Forget a finished child later (not in this step: a child that ends while it starts must still be found by whoever spawned it). */
    childFinished: (_, _params: { id: string }) => undefined
  }
}).createMachine({
  id: 'node',
  context: ({ input }) => ({ peerId: input.peerId }),
  on: {
    'node.spawn': {
      actions: enqueueActions(({ enqueue, event }) => {
        // The logic arrives in the event, so its type is only known as AnyActorLogic here.
        enqueue.spawnChild(event.logic as never, { id: event.id, input: event.input } as never)
      })
    },
    'node.stopChild': {
      actions: stopChild(({ event }) => event.id)
    },
    'xstate.done.actor.*': {
      actions: { type: 'childFinished', params: ({ event }: { event: unknown }) => ({ id: childEvent(event).actorId }) }
    },
    'xstate.error.actor.*': {
      actions: [
        {
          type: 'childFailed',
          params: ({ event }: { event: unknown }) => ({ id: childEvent(event).actorId, error: childEvent(event).error })
        },
        { type: 'childFinished', params: ({ event }: { event: unknown }) => ({ id: childEvent(event).actorId }) }
      ]
    }
  }
})
