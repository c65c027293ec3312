import { pino } from 'pino'
import { Registry } from 'prom-client'
import { createActor, SimulatedClock, type AnyActorLogic } from 'xstate'
import type { ActorHost } from '../../src/actor-host.ts'
import { createCoordinationClient } from '../../src/coordination/coordination-client.ts'
import type { CoordinationBackend } from '../../src/coordination/coordination-backend.ts'
import { createLocalAuthority } from '../../src/coordination/local-authority.ts'
import type { CoordinationPush } from '../../src/coordination/protocol.ts'
import type { CoordinationServer } from '../../src/coordination/coordination-server.ts'
import type { CoordinationTransport } from '../../src/coordination/remote-backend.ts'
import type { Coordination } from '../../src/coordination/types.ts'

export const silentLogger = pino({ level: 'silent' })

/** A host whose actors run on `clock` (tests advance it with `clock.increment`). */
export function createClockedHost (clock: SimulatedClock): ActorHost & { size: () => number } {
  const actors = new Map<string, { stop: () => void }>()
  return {
    spawn (logic: AnyActorLogic, { id, input }) {
      const actor = createActor(logic, { id, input, clock })
      actors.set(id, actor)
      actor.start()
      return actor as never
    },
    stop (id) {
      actors.get(id)?.stop()
      actors.delete(id)
    },
    size: () => actors.size
  }
}

/** An authority on a simulated clock, and clients for it. */
export function setup (options: { resultTtlMs?: number, keepIdleActors?: number } = {}) {
  const clock = new SimulatedClock()
  clock.set(1_000_000)
  const host = createClockedHost(clock)
  const registry = new Registry()
  const authority = createLocalAuthority({ host, registry, logger: silentLogger, clock, ...options })
  const client = (holder: string, backend: CoordinationBackend = authority): Coordination => createCoordinationClient({ backend, holder, logger: silentLogger, random: () => 0.5 })
  return { clock, host, registry, authority, client }
}

/** Let pending promise continuations run. */
export async function flush (): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
  await new Promise<void>(resolve => { setImmediate(resolve) })
}

/** Promise state without awaiting it. */
export function track<T> (promise: Promise<T>): { promise: Promise<T>, settled: () => boolean, value: () => T | undefined, error: () => unknown } {
  let settled = false
  let value: T | undefined
  let error: unknown
  promise.then(v => { settled = true; value = v }, (e: unknown) => { settled = true; error = e })
  return { promise, settled: () => settled, value: () => value, error: () => error }
}

/** Faults an in-memory link can inject. */
export interface LinkFaults {
  /** Deliver each request to the server this many times (at-least-once retransmits). */
  duplicates?: number
  /** Run the request but lose its answer (the call rejects). */
  loseAnswer?: (payload: unknown) => boolean
  /** Hold pushes and deliver them in reverse order when `releasePushes` is called. */
  reversePushes?: boolean
}

/** An in-memory transport from node `from` to a coordination server, with a push channel per node. */
export function createInMemoryNetwork (server: () => CoordinationServer) {
  const inboxes = new Map<string, Set<(payload: unknown) => void>>()
  const held: Array<{ to: string, payload: CoordinationPush }> = []
  let faults: LinkFaults = {}
  const deliver = (to: string, payload: CoordinationPush): void => {
    for (const cb of inboxes.get(to) ?? []) cb(structuredClone(payload))
  }
  return {
    setFaults (next: LinkFaults) { faults = next },
    notify (to: string, payload: CoordinationPush): void {
      if (faults.reversePushes === true) held.push({ to, payload })
      else deliver(to, payload)
    },
    releasePushes (): void {
      for (const { to, payload } of held.splice(0).reverse()) deliver(to, payload)
    },
    transport (from: string): CoordinationTransport {
      return {
        async call (payload, { signal, requestId }) {
          const copies = Math.max(1, faults.duplicates ?? 1)
          const answers = []
          for (let i = 0; i < copies; i++) answers.push(server().handle(structuredClone(payload), from, requestId))
          if (signal !== undefined) signal.throwIfAborted()
          const answer = await answers[0]
          if (faults.loseAnswer?.(payload) === true) throw new Error('answer lost')
          return structuredClone(answer)
        },
        onNotify (cb) {
          const set = inboxes.get(from) ?? new Set()
          set.add(cb)
          inboxes.set(from, set)
          return () => { set.delete(cb) }
        }
      }
    }
  }
}
