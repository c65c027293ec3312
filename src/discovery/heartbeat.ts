/**
 * The HEARTBEAT payload: one per node and interval, a full snapshot of the
 * node's live agents. Heartbeats arrive from the network, so parsing is a
 * trust boundary: every field is checked and bounded, and a node may only
 * announce its own agents.
 */

/** Tasks an agent runs and holds, and how many it runs at once. */
export interface AgentLoad {
  running: number
  queued: number
  concurrency: number
}

/** One agent as its node announces it. */
export interface AnnouncedAgent {
  /** `did:key:<node key>#<name>`; always an agent of the announcing node. */
  id: string
  capabilities: string[]
  load: AgentLoad
  price?: number
}

/**
 * What a node broadcasts every interval (and at once when an agent comes or
 * goes). A heartbeat lists *all* the node's live agents: an agent missing from
 * a newer heartbeat of its node has gone (that is the goodbye of an agent);
 * `bye` says the node itself is leaving.
 */
export interface HeartbeatPayload {
  /** The announcing node; equal to the (authenticated) sender of the envelope. */
  nodeDid: string
  /** Strictly increasing per node, also across restarts (older heartbeats are ignored). */
  seq: number
  /** The sender's heartbeat interval, ms; receivers expire its agents after some missed intervals. */
  intervalMs: number
  /** Multiaddr strings (with `/p2p/<peer id>`) at which the node can be dialled. */
  addrs: string[]
  agents: AnnouncedAgent[]
  /** The node is stopping: forget all its agents now. */
  bye?: true
}

/** Bounds on what a heartbeat may hold. */
export const HEARTBEAT_LIMITS = {
  agents: 10_000,
  capabilities: 64,
  addrs: 32,
  stringLength: 256,
  /** The interval a heartbeat may claim, ms (bounds how long its agents stay listed). */
  minIntervalMs: 10,
  maxIntervalMs: 60_000
} as const

/** Why a heartbeat was refused. */
export type HeartbeatRejection = 'malformed' | 'wrong_node' | 'too_large'

export type HeartbeatParse =
  | { ok: true, heartbeat: HeartbeatPayload }
  | { ok: false, reason: HeartbeatRejection, detail: string }

/**
 * Check an incoming heartbeat payload sent by the node `senderDid`.
 *
 * @example
 * ```ts
 * const parsed = parseHeartbeat(msg.payload, nodeOfSender)
 * if (parsed.ok) table.apply(parsed.heartbeat, Date.now(), false)
 * ```
 */
export function parseHeartbeat (payload: unknown, senderDid: string): HeartbeatParse {
  if (!isRecord(payload)) return bad('malformed', 'not a map')
  const { nodeDid, seq, intervalMs, addrs, agents, bye } = payload
  if (nodeDid !== senderDid) return bad('wrong_node', 'nodeDid is not the sender')
  if (!isCount(seq)) return bad('malformed', 'seq')
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < HEARTBEAT_LIMITS.minIntervalMs || intervalMs > HEARTBEAT_LIMITS.maxIntervalMs) {
    return bad('malformed', 'intervalMs')
  }
  if (bye !== undefined && bye !== true) return bad('malformed', 'bye')
  if (!Array.isArray(addrs) || !addrs.every(isShortString)) return bad('malformed', 'addrs')
  if (addrs.length > HEARTBEAT_LIMITS.addrs) return bad('too_large', 'addrs')
  if (!Array.isArray(agents)) return bad('malformed', 'agents')
  if (agents.length > HEARTBEAT_LIMITS.agents) return bad('too_large', 'agents')
  const prefix = `${senderDid}#`
  const parsed: AnnouncedAgent[] = []
  for (const agent of agents as unknown[]) {
    const one = parseAgent(agent, prefix)
    if (typeof one === 'string') return bad(one === 'wrong_node' ? 'wrong_node' : 'malformed', 'agents')
    parsed.push(one)
  }
  const heartbeat: HeartbeatPayload = { nodeDid, seq, intervalMs, addrs: addrs as string[], agents: parsed }
  if (bye === true) heartbeat.bye = true
  return { ok: true, heartbeat }
}

function parseAgent (value: unknown, prefix: string): AnnouncedAgent | HeartbeatRejection {
  if (!isRecord(value)) return 'malformed'
  const { id, capabilities, load, price } = value
  if (!isShortString(id) || id.length <= prefix.length) return 'malformed'
  if (!id.startsWith(prefix) || id.indexOf('#', prefix.length) !== -1) return 'wrong_node'
  if (!Array.isArray(capabilities) || capabilities.length > HEARTBEAT_LIMITS.capabilities || !capabilities.every(isShortString)) return 'malformed'
  if (!isRecord(load) || !isCount(load.running) || !isCount(load.queued) || !isCount(load.concurrency) || load.concurrency < 1) return 'malformed'
  if (price !== undefined && (typeof price !== 'number' || !Number.isFinite(price) || price < 0)) return 'malformed'
  const agent: AnnouncedAgent = {
    id,
    capabilities: capabilities as string[],
    load: { running: load.running, queued: load.queued, concurrency: load.concurrency }
  }
  if (price !== undefined) agent.price = price
  return agent
}

function bad (reason: HeartbeatRejection, detail: string): HeartbeatParse {
  return { ok: false, reason, detail }
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function isShortString (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= HEARTBEAT_LIMITS.stringLength
}

function isCount (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
