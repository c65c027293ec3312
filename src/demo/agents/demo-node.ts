/**
 * What the demo's agent modules use of the node they run on (coordination
 * and auctions), typed structurally so agents stay plain specs.
 */
import type { Coordination } from '../../coordination/types.ts'

/** A bid as the auctioneer reports it. */
export interface DemoBid { agentId: string, nodeDid?: string, price: number, etaMs: number }

/** The node, as the demo's agents see it. */
export interface DemoNode {
  readonly did: string
  readonly coordination?: Coordination
  /** A coordination client acting as one of the node's agents. */
  readonly coordinationFor?: (agentId: string) => Coordination
  readonly auction?: (options: { capability: string, task: unknown, windowMs: number, maxPrice?: number, signal?: AbortSignal }) => Promise<{ auctionId: string, winner: DemoBid, bids: DemoBid[], output: unknown, cost: number }>
}

/** A workflow task's input (chains and DAGs send `{ taskType, input, runId, stepId }`). */
export function taskInput (task: unknown): Record<string, unknown> {
  if (typeof task !== 'object' || task === null) return {}
  const input = (task as { input?: unknown }).input
  return typeof input === 'object' && input !== null ? input as Record<string, unknown> : task as Record<string, unknown>
}

/** Wait `ms` unless `signal` fires (stand-in latency of a real service call). */
export async function pause (ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
