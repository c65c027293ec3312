/**
 * The authority's barriers: one barrier actor per name while parties wait,
 * and the generation counter that outlives idle actors (so generations keep
 * counting up across releases).
 *
 * @example
 * ```ts
 * const barriers = new BarrierTable(scope)
 * barriers.handle(request) // barrier.wait
 * ```
 */
import type { ActorRefFrom } from 'xstate'
import { barrierMachine, type BarrierEmitted } from '../../machines/barrier.ts'
import type { ErrorCode } from '../errors.ts'
import { fail, ok, type AuthorityRequest, type AuthorityScope } from './authority-scope.ts'
import { IdleReaper } from './idle-reaper.ts'
import type { CoordinationResult } from './protocol.ts'

interface BarrierEntry {
  id: string
  actor: ActorRefFrom<typeof barrierMachine>
}

type Outcome = 'released' | 'timeout' | 'broken' | 'aborted' | 'mismatch'

export class BarrierTable {
  private readonly scope: AuthorityScope
  private readonly actors = new Map<string, BarrierEntry>()
  private readonly generations = new Map<string, number>()
  private readonly reaper: IdleReaper<BarrierEntry>

  constructor (scope: AuthorityScope, keepIdle: number) {
    this.scope = scope
    this.reaper = new IdleReaper(scope.host, this.actors, (name, { actor }) => {
      const { arrivals, generation } = actor.getSnapshot().context
      if (arrivals.length > 0) return false
      this.generations.set(name, generation)
      return true
    }, keepIdle)
  }

  handle (request: AuthorityRequest): void {
    const { op, ticket, caller } = request
    if (op.op !== 'barrier.wait') return
    const { actor } = this.actor(op.name)
    request.withdraw = () => { this.actors.get(op.name)?.actor.send({ type: 'CANCEL', ticket }) }
    actor.send({ type: 'ARRIVE', ticket, caller, parties: op.parties, ...(op.timeout === undefined ? {} : { timeout: op.timeout }) })
  }

  releaseHolder (holder: string): void {
    for (const { actor } of [...this.actors.values()]) actor.send({ type: 'RELEASE_HOLDER', holder })
  }

  close (): void {
    for (const { id } of this.actors.values()) this.scope.host.stop(id)
    this.actors.clear()
  }

  private actor (name: string): BarrierEntry {
    const existing = this.actors.get(name)
    if (existing !== undefined) return existing
    const id = this.scope.actorId('barrier', name)
    const actor = this.scope.host.spawn(barrierMachine, { id, input: { name, generation: this.generations.get(name) ?? 0 } })
    const entry = { id, actor }
    this.actors.set(name, entry)
    actor.on('*', event => { this.onEvent(name, event) })
    return entry
  }

  private finish (ticket: string, outcome: Outcome, result: CoordinationResult): void {
    const request = this.scope.settle(ticket, result)
    this.scope.metrics.barrierWaits.inc({ outcome })
    if (request !== undefined) this.scope.metrics.barrierWaitSeconds.observe({ outcome }, Math.max(0, this.scope.now() - request.startedAt) / 1000)
  }

  private onEvent (name: string, event: BarrierEmitted): void {
    const failure = (code: ErrorCode, message: string, details: Record<string, unknown>): CoordinationResult => fail(code, message, { name, ...details })
    switch (event.type) {
      case 'released':
        this.generations.set(name, event.generation + 1)
        for (const ticket of event.tickets) this.finish(ticket, 'released', ok({ name, generation: event.generation, parties: event.parties }))
        break
      case 'timedOut':
        this.generations.set(name, event.generation + 1)
        this.finish(event.ticket, 'timeout', failure('BARRIER_TIMEOUT', `timed out waiting at barrier "${name}"`, { generation: event.generation }))
        break
      case 'aborted':
        this.generations.set(name, event.generation + 1)
        this.finish(event.ticket, 'aborted', failure('ABORTED', `left barrier "${name}"`, { generation: event.generation, reason: event.reason }))
        break
      case 'broken':
        for (const ticket of event.tickets) {
          this.finish(ticket, 'broken', failure('BARRIER_BROKEN', `barrier "${name}" was broken by a party that left (${event.reason})`, { generation: event.generation, reason: event.reason }))
        }
        break
      case 'mismatch':
        this.finish(event.ticket, 'mismatch', failure('BARRIER_MISMATCH', `barrier "${name}" waits for ${event.expected} parties, not ${event.got}`, { expected: event.expected, got: event.got }))
        break
    }
    this.reaper.schedule(name)
  }
}
