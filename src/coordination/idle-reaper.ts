/**
 * Stops an authority table's actors that have nothing left to do, keeping the
 * most recently used `keepIdle` of them alive (a hot lock or barrier is not
 * re-spawned on every use). The check runs a microtask after the events that
 * may have emptied an actor, so a burst of events is processed first.
 *
 * @example
 * ```ts
 * const reaper = new IdleReaper(host, actors, (name, entry) => {
 *   const { holders, waiters } = entry.actor.getSnapshot().context
 *   return holders.length === 0 && waiters.length === 0
 * })
 * reaper.schedule('db')
 * ```
 */
import type { ActorHost } from '../actor-host.ts'

export class IdleReaper<E extends { id: string }> {
  private readonly scheduled = new Set<string>()
  /** Idle actors kept alive, least recently idle first. */
  private readonly idle = new Set<string>()
  private readonly keepIdle: number
  private readonly host: ActorHost
  private readonly actors: Map<string, E>
  private readonly isIdle: (name: string, entry: E) => boolean

  /** `isIdle` decides (and may save what must outlive the actor, such as a counter). */
  constructor (host: ActorHost, actors: Map<string, E>, isIdle: (name: string, entry: E) => boolean, keepIdle = 256) {
    this.host = host
    this.actors = actors
    this.isIdle = isIdle
    this.keepIdle = keepIdle
  }

  schedule (name: string): void {
    if (this.scheduled.has(name)) return
    this.scheduled.add(name)
    queueMicrotask(() => {
      this.scheduled.delete(name)
      this.idle.delete(name)
      this.idle.add(name)
      for (const candidate of this.idle) {
        if (this.idle.size <= this.keepIdle) break
        this.idle.delete(candidate)
        this.reap(candidate)
      }
    })
  }

  private reap (name: string): void {
    const entry = this.actors.get(name)
    if (entry === undefined || !this.isIdle(name, entry)) return
    this.actors.delete(name)
    this.host.stop(entry.id)
  }
}
