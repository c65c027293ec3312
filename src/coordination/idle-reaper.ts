/**
 * Stops an authority table's actor once it has nothing left to do. The check
 * runs a microtask after the events that may have emptied it, so a burst of
 * events (and what their handlers send) is processed first.
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
  private readonly host: ActorHost
  private readonly actors: Map<string, E>
  private readonly isIdle: (name: string, entry: E) => boolean

  /** `isIdle` decides (and may save what must outlive the actor, such as a counter). */
  constructor (host: ActorHost, actors: Map<string, E>, isIdle: (name: string, entry: E) => boolean) {
    this.host = host
    this.actors = actors
    this.isIdle = isIdle
  }

  schedule (name: string): void {
    if (this.scheduled.has(name)) return
    this.scheduled.add(name)
    queueMicrotask(() => {
      this.scheduled.delete(name)
      const entry = this.actors.get(name)
      if (entry === undefined || !this.isIdle(name, entry)) return
      this.actors.delete(name)
      this.host.stop(entry.id)
    })
  }
}
