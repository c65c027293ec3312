/**
 * Topic names. Versioned and partitioned so a node only receives what
 * concerns it: its own inbox, plus the broadcast topic.
 */

/** Topic prefix of this protocol version. */
export const TOPIC_PREFIX = '/zerostate/1'
/** BROADCAST and HEARTBEAT envelopes. */
export const BROADCAST_TOPIC = `${TOPIC_PREFIX}/broadcast`

/**
 * The inbox of one node: direct messages to its agents.
 *
 * @example
 * ```ts
 * inboxTopic(node.peerId) // '/zerostate/1/inbox/12D3KooW...'
 * ```
 */
export function inboxTopic (peerId: string): string {
  return `${TOPIC_PREFIX}/inbox/${peerId}`
}

/** The peer id an inbox topic belongs to, or undefined for other topics. */
export function inboxOwner (topic: string): string | undefined {
  const prefix = `${TOPIC_PREFIX}/inbox/`
  return topic.startsWith(prefix) ? topic.slice(prefix.length) : undefined
}
