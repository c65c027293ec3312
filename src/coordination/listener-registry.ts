/**
 * Notification listeners by caller address, shared by the backends: a
 * listener that throws is logged and never stops the others.
 *
 * @example
 * ```ts
 * const listeners = new ListenerRegistry(logger)
 * const off = listeners.subscribe(agentId, n => { seen.push(n.type) })
 * listeners.notify(agentId, { type: 'lockLost', resource: 'db', token, fencingToken: 3, reason: 'expired' })
 * ```
 */
import type { Logger } from 'pino'
import type { NotificationListener } from './coordination-backend.ts'
import type { CoordinationNotification } from './protocol.ts'

export class ListenerRegistry {
  private readonly listeners = new Map<string, Set<NotificationListener>>()
  private readonly logger: Logger | undefined

  constructor (logger?: Logger) {
    this.logger = logger
  }

  subscribe (caller: string, listener: NotificationListener): () => void {
    let set = this.listeners.get(caller)
    if (set === undefined) {
      set = new Set()
      this.listeners.set(caller, set)
    }
    set.add(listener)
    return () => {
      const current = this.listeners.get(caller)
      current?.delete(listener)
      if (current?.size === 0) this.listeners.delete(caller)
    }
  }

  notify (caller: string, notification: CoordinationNotification): void {
    for (const listener of [...(this.listeners.get(caller) ?? [])]) {
      try {
        listener(notification)
      } catch (err) {
        this.logger?.warn({ err, caller }, 'coordination listener threw')
      }
    }
  }

  clear (): void {
    this.listeners.clear()
  }
}
