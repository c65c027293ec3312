/**
 * The ActorHost of a node: children of the node's root actor, so every actor
 * of the node lives in one actor system (and one inspector tree).
 */
import { createActor, type Actor, type ActorRefFrom, type AnyActorLogic, type InspectionEvent, type Observer } from 'xstate'
import type { ActorHost } from '../actor-host.ts'
import type { nodeMachine } from '../../machines/node.ts'
import { ZeroStateError } from '../errors.ts'

export function createRootHost (root: Actor<typeof nodeMachine>, inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined): ActorHost {
  const restored = new Map<string, { stop: () => void }>()
  return {
    spawn<TLogic extends AnyActorLogic>(logic: TLogic, options: { id: string, input?: unknown, snapshot?: unknown }): ActorRefFrom<TLogic> {
      if (options.snapshot !== undefined) {
        // Restoring a persisted snapshot needs createActor; it shares the node's inspector.
        const actor = createActor(logic as AnyActorLogic, { id: options.id, input: options.input, snapshot: options.snapshot as never, ...(inspect === undefined ? {} : { inspect }) })
        restored.set(options.id, actor)
        actor.start()
        return actor as ActorRefFrom<TLogic>
      }
      root.send({ type: 'node.spawn', id: options.id, logic, input: options.input })
      const child = (root.getSnapshot().children as Record<string, unknown>)[options.id]
      if (child === undefined) throw new ZeroStateError('INTERNAL', `the node could not start actor "${options.id}"`)
      return child as unknown as ActorRefFrom<TLogic>
    },
    stop (id) {
      const actor = restored.get(id)
      if (actor !== undefined) {
        restored.delete(id)
        actor.stop()
        return
      }
      root.send({ type: 'node.stopChild', id })
    }
  }
}
