/**
 * Where a service (chains, DAGs, coordination) starts its actors. In a node
 * the host is the node's root actor, so every run lives in the node's one
 * actor system and shows in the inspector; tests can use a standalone host.
 */
import { createActor, type AnyActorLogic, type ActorRefFrom, type InspectionEvent, type Observer } from 'xstate'

export interface SpawnOptions {
  /** Unique among the host's children. */
  id: string
  input?: unknown
  /** Restore from a persisted snapshot instead of starting fresh. */
  snapshot?: unknown
}

export interface ActorHost {
  /** Start `logic` as a child of the host and return its reference (already started). */
  spawn: <TLogic extends AnyActorLogic>(logic: TLogic, options: SpawnOptions) => ActorRefFrom<TLogic>
  /** Stop and forget a child. Unknown ids are ignored. */
  stop: (id: string) => void
}

/** A host that starts each actor as its own root (tests, standalone use). */
export function createStandaloneHost (options: { inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) } = {}): ActorHost {
  const actors = new Map<string, { stop: () => void }>()
  return {
    spawn (logic, { id, input, snapshot }) {
      const actor = createActor(logic as AnyActorLogic, {
        id,
        input,
        ...(snapshot === undefined ? {} : { snapshot: snapshot as never }),
        ...(options.inspect === undefined ? {} : { inspect: options.inspect })
      })
      actors.set(id, actor)
      actor.start()
      return actor as ActorRefFrom<typeof logic>
    },
    stop (id) {
      const actor = actors.get(id)
      if (actor === undefined) return
      actors.delete(id)
      actor.stop()
    }
  }
}
