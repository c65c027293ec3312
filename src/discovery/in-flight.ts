/**
 * Requests this node has sent to each agent and not yet seen answered, with
 * the time each was sent. Between two heartbeats of an agent this is the
 * only fresh knowledge of its load, so least-loaded selection adds the
 * requests sent after the agent's last heartbeat to the load it reported.
 */

export class InFlightRequests {
  private readonly byAgent = new Map<string, Map<number, number>>()
  private nextToken = 0

  /** Count a request sent to `agentId` at `now`; call the returned function once it is answered or failed. */
  begin (agentId: string, now: number): () => void {
    let sent = this.byAgent.get(agentId)
    if (sent === undefined) { sent = new Map(); this.byAgent.set(agentId, sent) }
    const token = this.nextToken++
    sent.set(token, now)
    const requests = sent
    return () => {
      if (!requests.delete(token)) return
      if (requests.size === 0 && this.byAgent.get(agentId) === requests) this.byAgent.delete(agentId)
    }
  }

  /** Requests in flight to `agentId`. */
  count (agentId: string): number {
    return this.byAgent.get(agentId)?.size ?? 0
  }

  /** Requests in flight to `agentId` that were sent at or after `time` (epoch ms). */
  sentSince (agentId: string, time: number): number {
    const sent = this.byAgent.get(agentId)
    if (sent === undefined) return 0
    let n = 0
    for (const at of sent.values()) if (at >= time) n++
    return n
  }
}
