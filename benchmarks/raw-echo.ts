/**
 * The raw gossipsub baseline's two sides: a responder that echoes a changed
 * copy of every request on topic `b` to topic `a` (identical bytes would be
 * a gossipsub duplicate), and the caller's round trip.
 *
 * @example
 * ```ts
 * echoRawRequests(responder)
 * const once = rawRoundTrip(caller)
 * await latencies(1000, once)
 * ```
 */
import type { Libp2pHost } from '../src/net/libp2p-host.ts'

/** Marks a round-trip request (first byte); responses carry 2. */
export const RAW_REQUEST = 1

/** Answer every request published to `b` on topic `a`. */
export function echoRawRequests (responder: Libp2pHost): void {
  responder.services.pubsub.addEventListener('message', evt => {
    if (evt.detail.topic !== 'b' || evt.detail.data[0] !== RAW_REQUEST) return
    const reply = evt.detail.data.slice()
    reply[0] = 2
    void responder.services.pubsub.publish('a', reply).catch(() => {})
  })
}

/** A 96-byte message, unique per call, whose first byte is `kind`. */
export function rawMessage (kind: number, seq: number): Uint8Array {
  const data = new Uint8Array(96)
  data[0] = kind
  new DataView(data.buffer).setUint32(4, seq)
  new DataView(data.buffer).setFloat64(8, Math.random())
  return data
}

/** One awaited request/response round trip per call (the caller must be subscribed to `a`). */
export function rawRoundTrip (caller: Libp2pHost): () => Promise<void> {
  let answered: () => void = () => {}
  caller.services.pubsub.addEventListener('message', evt => { if (evt.detail.topic === 'a') answered() })
  let seq = 0
  return async () => {
    const done = new Promise<void>(resolve => { answered = resolve })
    await caller.services.pubsub.publish('b', rawMessage(RAW_REQUEST, seq++))
    await done
  }
}
