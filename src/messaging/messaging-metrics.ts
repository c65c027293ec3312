/**
 * The messaging metrics of one node, on the node's own registry.
 *
 * Counters on the hot path are plain numbers, copied into prom-client when
 * the registry is scraped (`collect`), so counting a message costs an
 * increment rather than a label lookup.
 */
import { Counter, type Registry } from 'prom-client'
import { TallyCounter } from '../metrics/tally-counter.ts'
import { TallyHistogram } from '../metrics/tally-histogram.ts'
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

/** A one-label tally counter, as a function of the label's value. */
function tallyCounter (registry: Registry, name: string, help: string, label: string): (value: string) => void {
  const counter = new TallyCounter({ name, help, labelNames: [label], registers: [registry] })
  return value => { counter.inc({ [label]: value }) }
}

export function createMessagingMetrics (registry: Registry): MessagingMetrics {
  const sent = tallyCounter(registry, 'zerostate_agent_messages_sent_total', 'Agent messages sent, by type', 'type')
  const received = tallyCounter(registry, 'zerostate_agent_messages_received_total', 'Agent messages received and accepted, by type', 'type')
  const dropped = tallyCounter(registry, 'zerostate_agent_messages_dropped_total', 'Incoming agent messages dropped, by reason', 'reason')
  const duration = new TallyHistogram({
    name: 'zerostate_agent_request_duration_seconds',
    help: 'Request/response round trip as seen by the caller',
    labelNames: ['outcome'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry]
  })
  const retransmits = new Counter({ name: 'zerostate_agent_messages_retransmitted_total', help: 'AT_LEAST_ONCE/EXACTLY_ONCE retransmissions', registers: [registry] })
  const okDuration = duration.series({ outcome: 'ok' })
  const errorDuration = duration.series({ outcome: 'error' })
  return {
    sent,
    received,
    dropped,
    requestDuration: (seconds, outcome) => { (outcome === 'ok' ? okDuration : errorDuration)(seconds) },
    retransmits
  }
}
