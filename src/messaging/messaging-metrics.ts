/**
 * The messaging metrics of one node, on the node's own registry.
 */
import { Counter, Histogram, type Registry } from 'prom-client'
import type { MessageType } from '../envelope-types.ts'

/** Why an incoming envelope was dropped. */
export type DropReason =
  | 'malformed' | 'oversized' | 'unknown_version' | 'unknown_type' | 'expired' | 'forged_sender'
  | 'duplicate' | 'late_response' | 'unknown_recipient' | 'wrong_node' | 'bad_signature' | 'publish_failed'

export interface MessagingMetrics {
  sent: (type: MessageType) => void
  received: (type: MessageType) => void
  dropped: (reason: DropReason) => void
  requestDuration: (seconds: number, outcome: 'ok' | 'error') => void
  retransmits: Counter
}

export function createMessagingMetrics (registry: Registry): MessagingMetrics {
  const sent = new Counter({ name: 'zerostate_agent_messages_sent_total', help: 'Agent messages sent, by type', labelNames: ['type'], registers: [registry] })
  const received = new Counter({ name: 'zerostate_agent_messages_received_total', help: 'Agent messages received and accepted, by type', labelNames: ['type'], registers: [registry] })
  const dropped = new Counter({ name: 'zerostate_agent_messages_dropped_total', help: 'Incoming agent messages dropped, by reason', labelNames: ['reason'], registers: [registry] })
  const duration = new Histogram({
    name: 'zerostate_agent_request_duration_seconds',
    help: 'Request/response round trip as seen by the caller',
    labelNames: ['outcome'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry]
  })
  const retransmits = new Counter({ name: 'zerostate_agent_messages_retransmitted_total', help: 'AT_LEAST_ONCE/EXACTLY_ONCE retransmissions', registers: [registry] })
  const sentBy = new Map<string, { inc: () => void }>()
  const receivedBy = new Map<string, { inc: () => void }>()
  const droppedBy = new Map<string, { inc: () => void }>()
  const okDuration = duration.labels('ok')
  const errorDuration = duration.labels('error')
  const child = (map: Map<string, { inc: () => void }>, counter: Counter, label: string): { inc: () => void } => {
    let c = map.get(label)
    if (c === undefined) { c = counter.labels(label); map.set(label, c) }
    return c
  }
  return {
    sent: type => { child(sentBy, sent, type).inc() },
    received: type => { child(receivedBy, received, type).inc() },
    dropped: reason => { child(droppedBy, dropped, reason).inc() },
    requestDuration: (seconds, outcome) => { (outcome === 'ok' ? okDuration : errorDuration).observe(seconds) },
    retransmits
  }
}
