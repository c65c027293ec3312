/**
 * The authority's shared state: one shared-state actor per key (kept for the
 * authority's lifetime: it holds the value) and the watchers of each key.
 * Values are copied on the way in and out, so no caller can change a
 * committed version behind the authority's back.
 *
 * @example
 * ```ts
 * const states = new StateTable(scope)
 * states.handle(request) // state.get | state.set | state.watch | state.unwatch
 * ```
 */
import type { ActorRefFrom } from 'xstate'
import { holderMatches } from '../../machines/holder-match.ts'
import { sharedStateMachine, type SharedStateEmitted, type VersionedValue } from '../../machines/shared-state.ts'
import { StateConflictError } from '../errors.ts'
import { ok, type AuthorityRequest, type AuthorityScope } from './authority-scope.ts'
import type { SharedState } from './types.ts'

interface StateEntry {
  id: string
  actor: ActorRefFrom<typeof sharedStateMachine>
}

function publicState (key: string, current: VersionedValue): SharedState {
  return { key, value: structuredClone(current.value), version: current.version, updatedBy: current.updatedBy, updatedAt: current.updatedAt }
}

export class StateTable {
  private readonly scope: AuthorityScope
  private readonly actors = new Map<string, StateEntry>()
  private readonly watchers = new Map<string, Set<string>>()
  /** Tickets of `state.cas` requests: a conflict answers them with the current state instead of an error. */
  private readonly casTickets = new Set<string>()

  constructor (scope: AuthorityScope) {
    this.scope = scope
  }

  handle (request: AuthorityRequest): void {
    const { op, ticket, caller } = request
    switch (op.op) {
      case 'state.get': {
        const current = this.actors.get(op.key)?.actor.getSnapshot().context.current ?? null
        this.scope.settle(ticket, ok(current === null ? null : publicState(op.key, current)))
        break
      }
      case 'state.set':
      case 'state.cas':
        if (op.op === 'state.cas') this.casTickets.add(ticket)
        this.actor(op.key).actor.send({ type: 'SET', ticket, value: structuredClone(op.value), expectedVersion: op.expectedVersion, caller, now: this.scope.now() })
        break
      case 'state.watch': {
        const set = this.watchers.get(op.key) ?? new Set()
        set.add(caller)
        this.watchers.set(op.key, set)
        const version = this.actors.get(op.key)?.actor.getSnapshot().context.current?.version ?? 0
        this.scope.settle(ticket, ok({ watching: true, version }))
        break
      }
      case 'state.unwatch':
        this.unwatch(op.key, caller)
        this.scope.settle(ticket, ok({ watching: false }))
        break
    }
  }

  /** Drop the watches of a holder (agent id) or of every agent of a node. */
  releaseHolder (holder: string): void {
    for (const [key, set] of [...this.watchers]) {
      for (const caller of [...set]) if (holderMatches(caller, holder)) this.unwatch(key, caller)
    }
  }

  close (): void {
    for (const { id } of this.actors.values()) this.scope.host.stop(id)
    this.actors.clear()
    this.watchers.clear()
    this.casTickets.clear()
  }

  private unwatch (key: string, caller: string): void {
    const set = this.watchers.get(key)
    set?.delete(caller)
    if (set?.size === 0) this.watchers.delete(key)
  }

  private actor (key: string): StateEntry {
    const existing = this.actors.get(key)
    if (existing !== undefined) return existing
    const id = this.scope.actorId('state', key)
    const actor = this.scope.host.spawn(sharedStateMachine, { id, input: { key } })
    const entry = { id, actor }
    this.actors.set(key, entry)
    actor.on('*', event => { this.onEvent(event) })
    return entry
  }

  private onEvent (event: SharedStateEmitted): void {
    const { scope } = this
    const cas = this.casTickets.delete(event.ticket)
    if (event.type === 'conflict') {
      scope.metrics.stateConflicts.inc()
      if (cas) {
        const current = this.actors.get(event.key)?.actor.getSnapshot().context.current ?? null
        scope.settle(event.ticket, ok({ committed: false, state: current === null ? null : publicState(event.key, current) }))
      } else {
        scope.settle(event.ticket, { ok: false, error: new StateConflictError(event.key, event.expected, event.currentVersion).toWire() })
      }
      return
    }
    scope.metrics.stateUpdates.inc()
    const state = publicState(event.key, event.state)
    scope.settle(event.ticket, ok(cas ? { committed: true, state } : state))
    for (const caller of this.watchers.get(event.key) ?? []) {
      scope.notify(caller, { type: 'state', state: publicState(event.key, event.state) })
    }
  }
}
