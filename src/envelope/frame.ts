/**
 * Batching: several envelopes bound for one topic may travel in one gossipsub
 * message, a msgpack array of `bin` items each holding one encoded envelope.
 * A message that is a single envelope (a msgpack map) is accepted as well, so
 * `encodeEnvelope(msg)` alone is always valid input.
 */
import { Decoder } from '@msgpack/msgpack'
import { EnvelopeDecodeError, MAX_ENVELOPE_BYTES } from './codec.ts'

/** Largest frame we send, in bytes; well under gossipsub's ~4 MiB stream limit. */
export const MAX_FRAME_BYTES = 2 * MAX_ENVELOPE_BYTES
/** Most envelopes in one frame. */
export const MAX_FRAME_ITEMS = 4096

const frameDecoder = new Decoder({ maxArrayLength: MAX_FRAME_ITEMS, maxBinLength: MAX_ENVELOPE_BYTES, maxStrLength: 0, maxMapLength: 0, maxExtLength: 0 })

/** True when the message bytes are a frame (msgpack array) rather than one envelope. */
export function isFrame (bytes: Uint8Array): boolean {
  const b = bytes[0]
  return b !== undefined && ((b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd)
}

/** Encode a frame from already-encoded envelopes (no re-encoding of the items). */
export function encodeFrame (items: readonly Uint8Array[]): Uint8Array {
  let size = items.length < 16 ? 1 : 3
  for (const item of items) size += binHeaderSize(item.length) + item.length
  const out = new Uint8Array(size)
  let o = 0
  if (items.length < 16) out[o++] = 0x90 | items.length
  else { out[o++] = 0xdc; out[o++] = items.length >> 8; out[o++] = items.length & 0xff }
  for (const item of items) {
    const n = item.length
    if (n < 0x100) { out[o++] = 0xc4; out[o++] = n } else if (n < 0x10000) { out[o++] = 0xc5; out[o++] = n >> 8; out[o++] = n & 0xff } else {
      out[o++] = 0xc6; out[o++] = (n >>> 24) & 0xff; out[o++] = (n >>> 16) & 0xff; out[o++] = (n >>> 8) & 0xff; out[o++] = n & 0xff
    }
    out.set(item, o)
    o += n
  }
  return out
}

function binHeaderSize (n: number): number {
  return n < 0x100 ? 2 : n < 0x10000 ? 3 : 5
}

/** Split a gossipsub message into envelope byte strings. Throws EnvelopeDecodeError. */
export function splitFrame (bytes: Uint8Array): Uint8Array[] {
  if (bytes.length > MAX_FRAME_BYTES) throw new EnvelopeDecodeError('oversized', `message of ${bytes.length} bytes exceeds ${MAX_FRAME_BYTES}`)
  if (!isFrame(bytes)) return [bytes]
  let items: unknown
  try {
    items = frameDecoder.decode(bytes)
  } catch (cause) {
    throw new EnvelopeDecodeError('malformed', 'frame is not a msgpack array of byte strings', cause)
  }
  if (!Array.isArray(items) || items.length === 0 || !items.every(i => i instanceof Uint8Array)) {
    throw new EnvelopeDecodeError('malformed', 'frame must be a non-empty array of byte strings')
  }
  return items as Uint8Array[]
}
