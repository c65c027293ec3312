import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeEnvelope, didFromPublicKey, encodeEnvelope, isZeroStateError, MAX_ENVELOPE_BYTES, type AgentMessage } from '../../src/index.ts'
import { encodeFrame, splitFrame } from '../../src/envelope/frame.ts'
import { signedContent, signEncodedEnvelope, verifySignature } from '../../src/envelope/signing.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack'
import { addressToBytes } from '../../src/envelope/codec.ts'
import { DELIVERIES, MESSAGE_TYPES } from '../../src/envelope-types.ts'

const hexId = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(b => Buffer.from(b).toString('hex'))
const nodeDid = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(didFromPublicKey)
const agentName = fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/)
const address = fc.tuple(nodeDid, fc.option(agentName, { nil: undefined })).map(([did, name]) => name === undefined ? did : `${did}#${name}`)
// Payloads with a `__proto__` key are rejected by design (prototype pollution), so they are not generated here.
const payload = fc.jsonValue().filter(v => !JSON.stringify(v).includes('"__proto__"')).map(v => JSON.parse(JSON.stringify(v)) as unknown)

const message: fc.Arbitrary<AgentMessage> = fc.record({
  id: hexId,
  correlation: fc.option(hexId, { nil: undefined }),
  type: fc.constantFrom('REQUEST', 'RESPONSE', 'BROADCAST', 'NEGOTIATION', 'COORDINATION', 'HEARTBEAT', 'ACK'),
  delivery: fc.constantFrom('BEST_EFFORT', 'AT_LEAST_ONCE', 'EXACTLY_ONCE'),
  timestamp: fc.integer({ min: 0, max: 2 ** 47 }),
  ttl: fc.integer({ min: 0, max: 86_400_000 }),
  priority: fc.integer({ min: 0, max: 255 }),
  from: address,
  to: address,
  replyTo: fc.option(address, { nil: undefined }),
  payload,
  attempt: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
  budget: fc.option(fc.double({ min: 0, max: 1e9, noNaN: true }), { nil: undefined })
}).map(r => {
  const msg: AgentMessage = {
    id: r.id,
    correlationId: r.correlation ?? r.id,
    type: r.type,
    delivery: r.delivery,
    timestamp: r.timestamp,
    ttl: r.ttl,
    priority: r.priority,
    from: r.from,
    to: r.to,
    replyTo: r.replyTo ?? r.from,
    payload: r.payload
  }
  if (r.attempt !== undefined) msg.attempt = r.attempt
  if (r.budget !== undefined) msg.budget = r.budget
  return msg
})

describe('envelope codec', () => {
  it('round-trips every valid message', () => {
    fc.assert(fc.property(message, msg => {
      expect(decodeEnvelope(encodeEnvelope(msg))).toEqual(msg)
    }), { numRuns: 300 })
  })

  it('round-trips the compact form whose recipient node is implied by the inbox topic', () => {
    fc.assert(fc.property(message, agentName, (msg, name) => {
      const node = msg.from.split('#')[0]!
      const direct = { ...msg, to: `${node}#${name}` }
      const bytes = encodeEnvelope(direct, { impliedToNode: node })
      expect(bytes.length).toBeLessThan(encodeEnvelope(direct).length)
      expect(decodeEnvelope(bytes, { impliedToNode: node })).toEqual(direct)
    }), { numRuns: 100 })
  })

  it('carries a cross-node REQUEST with at most 128 bytes beyond its payload', () => {
    const from = `${didFromPublicKey(new Uint8Array(32).fill(1))}#client`
    const toNode = didFromPublicKey(new Uint8Array(32).fill(2))
    const msg: AgentMessage = {
      id: 'a'.repeat(32), correlationId: 'a'.repeat(32), type: 'REQUEST', delivery: 'EXACTLY_ONCE', timestamp: Date.now(),
      ttl: 30_000, priority: 5, from, to: `${toNode}#resize`, replyTo: from, payload: { image: 'x'.repeat(100) }, budget: 2.5
    }
    const payloadBytes = encodeEnvelope({ ...msg, payload: undefined }).length
    const overhead = encodeEnvelope(msg, { impliedToNode: toNode }).length - (encodeEnvelope(msg).length - payloadBytes)
    expect(overhead).toBeLessThanOrEqual(128)
  })

  it('throws a typed INVALID_ENVELOPE error for arbitrary bytes, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), bytes => {
      try {
        decodeEnvelope(bytes)
      } catch (err) {
        expect(isZeroStateError(err, 'INVALID_ENVELOPE')).toBe(true)
      }
    }), { numRuns: 1000 })
  })

  it('refuses a __proto__ key at the sender and drops it at the receiver', () => {
    const from = didFromPublicKey(new Uint8Array(32))
    const msg: AgentMessage = { id: 'e'.repeat(32), correlationId: 'e'.repeat(32), type: 'REQUEST', delivery: 'BEST_EFFORT', timestamp: 1, ttl: 0, priority: 0, from, to: from, replyTo: from, payload: JSON.parse('{"__proto__": {"polluted": true}}') }
    // The sender refuses it with a typed error ...
    expect(() => encodeEnvelope(msg)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error)
    // ... and a receiver drops bytes that carry one anyway.
    const { __proto__: _ignored, ...clean } = msg as unknown as Record<string, unknown>
    const bytes = encodeEnvelope({ ...(clean as unknown as AgentMessage), payload: { x_proto__: 1 } })
    const forged = Buffer.from(bytes)
    forged.write('__proto__', forged.indexOf('x_proto__'), 'utf8')
    expect(() => decodeEnvelope(forged)).toThrowError(expect.objectContaining({ reason: 'malformed' }) as Error)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // A string value "__proto__" is fine.
    expect(decodeEnvelope(encodeEnvelope({ ...msg, payload: { name: '__proto__' } })).payload).toEqual({ name: '__proto__' })
  })

  it('refuses Map and Set payloads (msgpack would send them as empty maps) and still carries Dates and bytes', () => {
    const from = didFromPublicKey(new Uint8Array(32))
    const msg: AgentMessage = { id: 'f'.repeat(32), correlationId: 'f'.repeat(32), type: 'REQUEST', delivery: 'BEST_EFFORT', timestamp: 1, ttl: 0, priority: 0, from, to: from, replyTo: from, payload: null }
    for (const payload of [new Map([['a', 1]]), { nested: [new Set([1, 2])] }]) {
      let err: unknown
      try { encodeEnvelope({ ...msg, payload }) } catch (e) { err = e }
      expect(isZeroStateError(err, 'INVALID_ARGUMENT')).toBe(true)
      expect((err as Error).message).toMatch(/Map, Set/)
    }
    const when = new Date(1_700_000_000_000)
    expect(decodeEnvelope(encodeEnvelope({ ...msg, payload: { when, bytes: new Uint8Array([1, 2]) } })).payload).toEqual({ when, bytes: new Uint8Array([1, 2]) })
  })

  it('refuses bad header values with INVALID_ARGUMENT, and a refused encode leaves nothing behind', () => {
    const from = didFromPublicKey(new Uint8Array(32).fill(9))
    const good: AgentMessage = { id: 'a'.repeat(32), correlationId: 'b'.repeat(32), type: 'REQUEST', delivery: 'BEST_EFFORT', timestamp: 1, ttl: 0, priority: 0, from, to: from, replyTo: from, payload: 'x' }
    const expected = encodeEnvelope(good)
    for (const bad of [{ correlationId: 'B'.repeat(32) }, { ttl: 1.5 }, { priority: -1 }, { attempt: Number.NaN }, { signature: 'sig' as unknown as Uint8Array }]) {
      let err: unknown
      try { encodeEnvelope({ ...good, ...bad }) } catch (e) { err = e }
      expect(isZeroStateError(err, 'INVALID_ARGUMENT')).toBe(true)
      expect(encodeEnvelope(good)).toEqual(expected)
    }
  })

  it('rejects oversized input before decoding it', () => {
    const err = (() => { try { decodeEnvelope(new Uint8Array(MAX_ENVELOPE_BYTES + 1)); return undefined } catch (e) { return e } })()
    expect(isZeroStateError(err, 'INVALID_ENVELOPE')).toBe(true)
    expect((err as { details: { reason: string } }).details.reason).toBe('oversized')
  })

  it('rejects unknown versions and types with their own reasons', () => {
    const base = encodeEnvelope({ id: 'b'.repeat(32), correlationId: 'b'.repeat(32), type: 'REQUEST', delivery: 'BEST_EFFORT', timestamp: 1, ttl: 0, priority: 0, from: didFromPublicKey(new Uint8Array(32)), to: didFromPublicKey(new Uint8Array(32)), replyTo: didFromPublicKey(new Uint8Array(32)), payload: 1 })
    const version = base.slice(); version[3] = 9 // fixmap, "v", 1 -> 9
    expect(() => decodeEnvelope(version)).toThrowError(expect.objectContaining({ reason: 'unknown_version' }) as Error)
  })

  it('splits frames back into the envelopes they batch', () => {
    fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 20 }), msgs => {
      const encoded = msgs.map(m => encodeEnvelope(m))
      expect(splitFrame(encodeFrame(encoded)).map(b => decodeEnvelope(b))).toEqual(msgs)
      expect(splitFrame(encoded[0]!)).toEqual([encoded[0]])
    }), { numRuns: 100 })
  })

  it('signs envelopes so that any change to the signed bytes fails verification', async () => {
    const key = await generateKeyPair('Ed25519')
    const from = didFromPublicKey(key.publicKey.raw)
    const msg: AgentMessage = { id: 'c'.repeat(32), correlationId: '0'.repeat(32), type: 'BROADCAST', delivery: 'BEST_EFFORT', timestamp: 5, ttl: 0, priority: 0, from, to: '', replyTo: from, payload: { hi: 1 } }
    const signed = await signEncodedEnvelope(encodeEnvelope(msg), key)
    const decoded = decodeEnvelope(signed)
    expect(decoded.signature).toHaveLength(64)
    const content = signedContent(signed)!
    expect(await verifySignature(key.publicKey.raw, content, decoded.signature!)).toBe(true)
    const tampered = content.slice(); tampered[tampered.length - 1] ^= 1
    expect(await verifySignature(key.publicKey.raw, tampered, decoded.signature!)).toBe(false)
  })
})

/** The documented wire map of a message (docs/AGENT_MESSAGING.md, src/envelope/codec.ts), as any msgpack library would see it. */
function wireMap (msg: AgentMessage): Record<string, unknown> {
  const w: Record<string, unknown> = {
    v: 1,
    i: Uint8Array.from(Buffer.from(msg.id, 'hex')),
    t: MESSAGE_TYPES.indexOf(msg.type) + 1,
    d: DELIVERIES.indexOf(msg.delivery),
    s: msg.timestamp,
    l: msg.ttl,
    p: msg.priority,
    f: addressToBytes(msg.from)
  }
  if (msg.correlationId !== msg.id) w.c = Uint8Array.from(Buffer.from(msg.correlationId, 'hex'))
  if (msg.to !== '') w.o = addressToBytes(msg.to)
  if (msg.replyTo !== msg.from) w.r = addressToBytes(msg.replyTo)
  if (msg.payload !== undefined) w.a = msg.payload
  if (msg.attempt !== undefined) w.n = msg.attempt
  if (msg.budget !== undefined) w.b = msg.budget
  return w
}

describe('envelope codec interoperability', () => {
  it('writes standard msgpack: a generic decoder reads the documented map', () => {
    fc.assert(fc.property(message, msg => {
      expect(msgpackDecode(encodeEnvelope(msg))).toEqual(wireMap(msg))
    }), { numRuns: 200 })
  })

  it('reads envelopes from any msgpack encoder: fields in any order, numbers in any width', () => {
    const keyOrder = fc.shuffledSubarray(['v', 'i', 'c', 't', 'd', 's', 'l', 'p', 'f', 'o', 'r', 'a', 'n', 'b'], { minLength: 14 })
    fc.assert(fc.property(message, keyOrder, fc.boolean(), (msg, order, floats) => {
      const w = wireMap(msg)
      const shuffled: Record<string, unknown> = {}
      for (const key of order) if (key in w) shuffled[key] = w[key]
      const bytes = msgpackEncode(shuffled, { forceIntegerToFloat: floats })
      expect(decodeEnvelope(bytes)).toEqual(msg)
    }), { numRuns: 200 })
  })

  it('drops repeated fields, unknown fields and bytes after the envelope as malformed', () => {
    const from = didFromPublicKey(new Uint8Array(32).fill(7))
    const bytes = encodeEnvelope({ id: 'd'.repeat(32), correlationId: 'd'.repeat(32), type: 'REQUEST', delivery: 'BEST_EFFORT', timestamp: 1, ttl: 0, priority: 0, from, to: from, replyTo: from, payload: 1 })
    const withEntry = (entry: number[]): Uint8Array => { const out = Uint8Array.from([...bytes, ...entry]); out[0] = bytes[0]! + 1; return out }
    for (const bad of [withEntry([0xa1, 0x76, 0x01]), withEntry([0xa1, 0x7a, 0x01]), withEntry([0xa2, 0x76, 0x76, 0x01]), Uint8Array.from([...bytes, 0xc0])]) {
      expect(() => decodeEnvelope(bad)).toThrowError(expect.objectContaining({ reason: 'malformed' }) as Error)
    }
    // A newer version is told apart from a malformed envelope even when it brings fields this version does not know.
    const newer = withEntry([0xa1, 0x7a, 0x01]); newer[3] = 2
    expect(() => decodeEnvelope(newer)).toThrowError(expect.objectContaining({ reason: 'unknown_version' }) as Error)
  })
})
