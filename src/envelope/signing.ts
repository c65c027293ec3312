/**
 * Envelope signatures by the sender's node key, used for BROADCAST,
 * HEARTBEAT and NEGOTIATION when gossipsub itself runs unsigned
 * (StrictNoSign), since those travel over several hops.
 *
 * The signature covers the exact bytes of the envelope encoded without `g`.
 * The signed form is those bytes with `g: bin(64)` appended as the last map
 * entry and the map's entry count raised by one, so a receiver recovers the
 * signed bytes without re-encoding.
 */
import type { PrivateKey } from '@libp2p/interface'
import { publicKeyObject } from '../identity/did.ts'

const SIG_TAIL = 4 + 64 // fixstr "g" (2) + bin8 header (2) + 64 bytes

/** Append a signature to an encoded unsigned envelope. */
export async function signEncodedEnvelope (unsigned: Uint8Array, key: PrivateKey): Promise<Uint8Array> {
  const header = unsigned[0]
  if (header === undefined || header < 0x80 || header >= 0x8f) throw new Error('signable envelopes are fixmaps with fewer than 15 entries')
  const signature = await key.sign(unsigned)
  const out = new Uint8Array(unsigned.length + SIG_TAIL)
  out.set(unsigned, 0)
  out[0] = header + 1
  out.set([0xa1, 0x67, 0xc4, 0x40], unsigned.length)
  out.set(signature, unsigned.length + 4)
  return out
}

/** The bytes a signed envelope's signature covers, or undefined when it is not in the signed form. */
export function signedContent (bytes: Uint8Array): Uint8Array | undefined {
  const n = bytes.length
  if (n < SIG_TAIL + 1) return undefined
  const header = bytes[0]!
  if (header <= 0x80 || header > 0x8f) return undefined
  const t = n - SIG_TAIL
  if (bytes[t] !== 0xa1 || bytes[t + 1] !== 0x67 || bytes[t + 2] !== 0xc4 || bytes[t + 3] !== 0x40) return undefined
  // A copy (Buffer#slice would share memory with the network buffer, which gossipsub may still relay).
  const content = new Uint8Array(t)
  content.set(bytes.subarray(0, t))
  content[0] = header - 1
  return content
}

/** Verify `signature` over `content` by the raw Ed25519 node key. */
export async function verifySignature (nodeKey: Uint8Array, content: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    return await publicKeyObject(nodeKey).verify(content, signature)
  } catch {
    return false
  }
}
