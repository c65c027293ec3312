/**
 * The directory of live agents a node knows about (its own and other
 * nodes'), fed by heartbeats. Plain data with the time handed in, so it is
 * tested without a network or a clock; `attachDiscovery` drives it.
 */
import type { AgentLoad, HeartbeatPayload } from './heartbeat.ts'
import { AbortedError, ZeroStateError } from '../errors.ts'

/** One live agent as the directory knows it. */
export interface DirectoryEntry {
  /** `did:key:<node key>#<name>` */
  readonly id: string
  /** The hosting node. */
  readonly nodeDid: string
  readonly capabilities: readonly string[]
  /** Load at the last heartbeat (for this node's own agents: at the last local heartbeat). */
  readonly load: AgentLoad
  readonly price?: number
  /** Epoch ms of the last heartbeat that listed the agent. */
  readonly lastSeen: number
  /** Whether the agent runs on this node. */
  readonly local: boolean
}

/** A change of the directory. `updated` fires when capabilities, load or price change (not on every heartbeat). */
export interface DirectoryChange {
  type: 'added' | 'updated' | 'removed'
  entry: DirectoryEntry
}

/**
 * What `node.directory` offers.
 *
 * @example
 * ```ts
 * const translators = node.directory.find('translate')
 * const off = node.directory.on('change', ({ type, entry }) => { logger.info({ type, agent: entry.id }, 'directory changed') })
 * ```
 */
export interface AgentDirectory {
  /** Live agents (local and remote) offering `capability`. */
  find: (capability: string) => DirectoryEntry[]
  /** Every live agent. */
  list: () => DirectoryEntry[]
  /** One agent by id. */
  get: (id: string) => DirectoryEntry | undefined
  /** Listen for added/updated/removed agents. Returns an unsubscribe function. */
  on: (event: 'change', listener: (change: DirectoryChange) => void) => () => void
  /**
   * The first live agent offering `capability`, waiting for one to be
   * announced (default up to 10 s). Rejects with `NO_AGENT` when none
   * appears in time, `ABORTED` when `signal` fires.
   *
   * @example
   * ```ts
   * await node.directory.waitFor('image-processing', { timeout: 5_000 })
   * ```
   */
  waitFor: (capability: string, options?: { timeout?: number, signal?: AbortSignal }) => Promise<DirectoryEntry>
  /** Number of live agents. */
  readonly size: number
}

interface NodeRecord {
  nodeDid: string
  seq: number
  addrs: string[]
  /** Epoch ms after which the node's agents are dropped. */
  expiresAt: number
  agents: Map<string, DirectoryEntry>
  /** The node said goodbye; its record stays (empty) until expiry so stale heartbeats are ignored. */
  gone: boolean
}

/** What applying a heartbeat did. */
export interface ApplyResult {
  /** False when the heartbeat was older than one already applied. */
  applied: boolean
}

/**
 * The directory's table. Not thread-safe by design (one per node, one event
 * loop); listeners run synchronously after each change.
 */
export class DirectoryTable implements AgentDirectory {
  private readonly missedHeartbeats: number
  private readonly nodes = new Map<string, NodeRecord>()
  private readonly byId = new Map<string, DirectoryEntry>()
  private readonly byCapability = new Map<string, Set<string>>()
  private readonly listeners = new Set<(change: DirectoryChange) => void>()
  private readonly onListenerError: (err: unknown) => void

  constructor (init: { missedHeartbeats: number, onListenerError?: (err: unknown) => void }) {
    this.missedHeartbeats = init.missedHeartbeats
    this.onListenerError = init.onListenerError ?? (() => {})
  }

  get size (): number { return this.byId.size }

  find (capability: string): DirectoryEntry[] {
    const ids = this.byCapability.get(capability)
    if (ids === undefined) return []
    const out: DirectoryEntry[] = []
    for (const id of ids) {
      const entry = this.byId.get(id)
      if (entry !== undefined) out.push(entry)
    }
    return out
  }

  list (): DirectoryEntry[] { return [...this.byId.values()] }

  async waitFor (capability: string, options: { timeout?: number, signal?: AbortSignal } = {}): Promise<DirectoryEntry> {
    const found = this.find(capability)[0]
    if (found !== undefined) return found
    const timeout = options.timeout ?? 10_000
    const signal = options.signal
    if (signal?.aborted === true) throw new AbortedError('aborted while waiting for an agent')
    return await new Promise<DirectoryEntry>((resolve, reject) => {
      const done = (): void => {
        off()
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      const onAbort = (): void => { done(); reject(new AbortedError('aborted while waiting for an agent', { cause: signal?.reason })) }
      const off = this.on('change', ({ type, entry }) => {
        if (type === 'removed' || !entry.capabilities.includes(capability)) return
        done()
        resolve(entry)
      })
      const timer = setTimeout(() => {
        done()
        reject(new ZeroStateError('NO_AGENT', `no agent offering "${capability}" appeared within ${timeout} ms`, { details: { capability, waitedMs: timeout } }))
      }, timeout)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  get (id: string): DirectoryEntry | undefined { return this.byId.get(id) }

  on (_event: 'change', listener: (change: DirectoryChange) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Addresses a node announced, if it is known. */
  addressesOf (nodeDid: string): readonly string[] | undefined {
    const record = this.nodes.get(nodeDid)
    return record === undefined || record.gone ? undefined : record.addrs
  }

  /** Number of nodes with live agents or a recent heartbeat. */
  get nodeCount (): number {
    let n = 0
    for (const record of this.nodes.values()) if (!record.gone) n++
    return n
  }

  /**
   * Apply one heartbeat received at `now`: add, update and remove the node's
   * agents so they match the snapshot; a `bye` removes them all.
   */
  apply (heartbeat: HeartbeatPayload, now: number, local: boolean): ApplyResult {
    let record = this.nodes.get(heartbeat.nodeDid)
    if (record !== undefined && heartbeat.seq <= record.seq) return { applied: false }
    if (record === undefined) {
      record = { nodeDid: heartbeat.nodeDid, seq: heartbeat.seq, addrs: heartbeat.addrs, expiresAt: 0, agents: new Map(), gone: false }
      this.nodes.set(heartbeat.nodeDid, record)
    }
    record.seq = heartbeat.seq
    record.addrs = heartbeat.addrs
    record.expiresAt = now + this.missedHeartbeats * heartbeat.intervalMs
    record.gone = heartbeat.bye === true
    const listed = new Set<string>()
    if (!record.gone) {
      for (const agent of heartbeat.agents) {
        listed.add(agent.id)
        const entry: DirectoryEntry = agent.price === undefined
          ? { id: agent.id, nodeDid: heartbeat.nodeDid, capabilities: agent.capabilities, load: agent.load, lastSeen: now, local }
          : { id: agent.id, nodeDid: heartbeat.nodeDid, capabilities: agent.capabilities, load: agent.load, price: agent.price, lastSeen: now, local }
        const before = record.agents.get(agent.id)
        if (before === undefined) {
          this.add(record, entry)
        } else {
          this.replace(record, before, entry)
        }
      }
    }
    for (const id of [...record.agents.keys()]) {
      if (!listed.has(id)) this.remove(id)
    }
    return { applied: true }
  }

  /** Drop one agent now (e.g. a request found it gone). Returns whether it was listed. */
  remove (id: string): boolean {
    const entry = this.byId.get(id)
    if (entry === undefined) return false
    this.nodes.get(entry.nodeDid)?.agents.delete(id)
    this.byId.delete(id)
    this.unindex(entry)
    this.emit({ type: 'removed', entry })
    return true
  }

  /** Drop the agents of nodes whose heartbeats stopped before `now`. Returns the number of agents dropped. */
  expire (now: number): number {
    let dropped = 0
    for (const record of [...this.nodes.values()]) {
      if (record.expiresAt > now) continue
      for (const id of [...record.agents.keys()]) {
        if (this.remove(id)) dropped++
      }
      this.nodes.delete(record.nodeDid)
    }
    return dropped
  }

  /** Forget everything (the node stops); emits `removed` for each agent. */
  clear (): void {
    for (const id of [...this.byId.keys()]) this.remove(id)
    this.nodes.clear()
  }

  private add (record: NodeRecord, entry: DirectoryEntry): void {
    record.agents.set(entry.id, entry)
    this.byId.set(entry.id, entry)
    this.index(entry)
    this.emit({ type: 'added', entry })
  }

  private replace (record: NodeRecord, before: DirectoryEntry, entry: DirectoryEntry): void {
    record.agents.set(entry.id, entry)
    this.byId.set(entry.id, entry)
    const sameCapabilities = sameStrings(before.capabilities, entry.capabilities)
    if (!sameCapabilities) {
      this.unindex(before)
      this.index(entry)
    }
    if (!sameCapabilities || before.price !== entry.price || !sameLoad(before.load, entry.load)) this.emit({ type: 'updated', entry })
  }

  private index (entry: DirectoryEntry): void {
    for (const capability of entry.capabilities) {
      let ids = this.byCapability.get(capability)
      if (ids === undefined) { ids = new Set(); this.byCapability.set(capability, ids) }
      ids.add(entry.id)
    }
  }

  private unindex (entry: DirectoryEntry): void {
    for (const capability of entry.capabilities) {
      const ids = this.byCapability.get(capability)
      if (ids === undefined) continue
      ids.delete(entry.id)
      if (ids.size === 0) this.byCapability.delete(capability)
    }
  }

  private emit (change: DirectoryChange): void {
    for (const listener of [...this.listeners]) {
      try { listener(change) } catch (err) { this.onListenerError(err) }
    }
  }
}

function sameStrings (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function sameLoad (a: AgentLoad, b: AgentLoad): boolean {
  return a.running === b.running && a.queued === b.queued && a.concurrency === b.concurrency
}
