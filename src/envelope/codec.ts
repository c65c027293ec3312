/**
 * The wire codec: one envelope = one msgpack map with one-letter keys.
 *
 * | key | field         | wire form                                            |
 * |-----|---------------|------------------------------------------------------|
 * | v   | version       | 1                                                    |
 * | i   | id            | bin(16)                                              |
 * | c   | correlationId | bin(16); omitted when equal to `id`                  |
 * | t   | type          | 1 REQUEST .. 7 ACK                                   |
 * | d   | delivery      | 0 BEST_EFFORT, 1 AT_LEAST_ONCE, 2 EXACTLY_ONCE       |
 * | s   | timestamp     | uint, ms since the epoch                             |
 * | l   | ttl           | uint, ms (0 = none)                                  |
 * | p   | priority      | uint 0..255                                          |
 * | f   | from          | bin(32-byte node key ++ utf8 agent name)             |
 * | o   | to            | like `f`; or str(agent name) when the node is implied by the inbox topic; omitted when empty |
 * | r   | replyTo       | like `f`; omitted when equal to `from`               |
 * | a   | payload       | any msgpack value; omitted when undefined            |
 * | n   | attempt       | uint; omitted when 0                                 |
 * | b   | budget        | number; omitted when undefined                       |
 * | g   | signature     | bin(64), always the last key (see signing.ts)        |
 *
 * Decoding is a trust boundary: the raw size is capped before decoding, the
 * msgpack decoder has length limits, and every field is validated.
 */
import { Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack'
import { ZeroStateError } from '../errors.ts'
import { DELIVERIES, MESSAGE_TYPES, type AgentMessage, type Delivery, type MessageType } from '../envelope-types.ts'
import { agentAddress, didFromPublicKey, isValidAgentName, publicKeyFromDid, NODE_KEY_BYTES } from '../identity/did.ts'

/** Wire format version. */
export const ENVELOPE_VERSION = 1
/** Largest encoded envelope accepted or sent, in bytes (gossipsub breaks near 4 MiB). */
export const MAX_ENVELOPE_BYTES = 1024 * 1024
/** Id length on the wire. */
export const ID_BYTES = 16
const SIGNATURE_BYTES = 64
const MAX_ATTEMPT = 1_000_000
/** Longest TTL an envelope may carry, ms (7 days). */
export const MAX_TTL_MS = 7 * 24 * 3600 * 1000

/** Why an envelope was rejected (also the `reason` label of dropped messages). */
export type DecodeFailure = 'malformed' | 'oversized' | 'unknown_version' | 'unknown_type'

/** A decoding failure: the bytes are not a valid envelope. */
export class EnvelopeDecodeError extends ZeroStateError {
  readonly reason: DecodeFailure
  constructor (reason: DecodeFailure, message: string, cause?: unknown) {
    super('INVALID_ENVELOPE', message, { details: { reason }, ...(cause === undefined ? {} : { cause }) })
    this.name = 'EnvelopeDecodeError'
    this.reason = reason
  }
}

/** Context that lets the codec imply fields (the router's compact form). */
export interface CodecContext {
  /** The node DID implied by the topic (inbox of that node): `to` is sent as its agent name only. */
  impliedToNode?: string
}

/**
 * msgpack would send a Map or Set as an empty map, silently losing its
 * entries: the encoder refuses them instead (the check rides on the
 * extension lookup msgpack makes for every object anyway).
 */
const refuseCollections = new ExtensionCodec()
refuseCollections.register({
  type: 0x7f,
  encode: (value: unknown) => {
    if (value instanceof Map || value instanceof Set) throw new TypeError(`a ${value instanceof Map ? 'Map' : 'Set'} is not plain data (convert it to an object or array)`)
    return null
  },
  decode: () => null
})

const encoder = new Encoder({ ignoreUndefined: true, initialBufferSize: 512, extensionCodec: refuseCollections })
const decoder = new Decoder({
  maxStrLength: MAX_ENVELOPE_BYTES,
  maxBinLength: MAX_ENVELOPE_BYTES,
  maxArrayLength: 65_536,
  maxMapLength: 65_536,
  maxExtLength: MAX_ENVELOPE_BYTES
})

const TYPE_CODE = new Map<MessageType, number>(MESSAGE_TYPES.map((t, i) => [t, i + 1]))
const DELIVERY_CODE = new Map<Delivery, number>(DELIVERIES.map((d, i) => [d, i]))
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })
const HEX = /^[0-9a-f]{32}$/

/** 32 lowercase hex chars -> 16 bytes. */
export function idToBytes (id: string): Uint8Array {
  if (id.length === 32) {
    const bytes = Buffer.from(id, 'hex')
    // Buffer.from stops at the first non-hex character; uppercase would not round-trip.
    if (bytes.length === ID_BYTES && id === id.toLowerCase()) return bytes
  }
  if (!HEX.test(id)) throw new ZeroStateError('INVALID_ARGUMENT', `message id must be 32 lowercase hex characters, got "${id.slice(0, 40)}"`)
  return Buffer.from(id, 'hex')
}

function bytesToId (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Binary form of an address: node key ++ utf8(agent name). Cached by the caller where hot. */
export function addressToBytes (address: string): Uint8Array {
  const hash = address.indexOf('#')
  const did = hash === -1 ? address : address.slice(0, hash)
  const name = hash === -1 ? '' : address.slice(hash + 1)
  const key = publicKeyFromDid(did)
  const nameBytes = textEncoder.encode(name)
  const out = new Uint8Array(NODE_KEY_BYTES + nameBytes.length)
  out.set(key, 0)
  out.set(nameBytes, NODE_KEY_BYTES)
  return out
}

/**
 * Memo of node key -> DID (base58 is the costliest step of decoding). A pure
 * function's cache: nothing about one node is visible to another through it.
 */
const didMemo = new Map<string, string>()

function didOfKey (key: Uint8Array): string {
  const hex = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')
  let did = didMemo.get(hex)
  if (did === undefined) {
    did = didFromPublicKey(key)
    if (didMemo.size >= 8192) didMemo.clear()
    didMemo.set(hex, did)
  }
  return did
}

function bytesToAddress (bytes: Uint8Array, field: string): string {
  if (bytes.length < NODE_KEY_BYTES) throw malformed(`${field}: address shorter than a node key`)
  const did = didOfKey(bytes.subarray(0, NODE_KEY_BYTES))
  let name: string
  try {
    name = textDecoder.decode(bytes.subarray(NODE_KEY_BYTES))
  } catch (cause) {
    throw malformed(`${field}: agent name is not utf-8`, cause)
  }
  if (name !== '' && !isValidAgentName(name)) throw malformed(`${field}: bad agent name`)
  return agentAddress(did, name)
}

/** Per-node cache of address bytes (hot path). */
export class AddressBytesCache {
  private readonly map = new Map<string, Uint8Array>()
  get (address: string): Uint8Array {
    let bytes = this.map.get(address)
    if (bytes === undefined) {
      bytes = addressToBytes(address)
      if (this.map.size >= 4096) this.map.clear()
      this.map.set(address, bytes)
    }
    return bytes
  }
}

function addressBytes (address: string, cache: AddressBytesCache | undefined): Uint8Array {
  return cache === undefined ? addressToBytes(address) : cache.get(address)
}

/** The wire map, before msgpack. Exposed for signing. */
export function envelopeToWire (msg: AgentMessage, ctx: CodecContext = {}, cache?: AddressBytesCache): Record<string, unknown> {
  const typeCode = TYPE_CODE.get(msg.type)
  const deliveryCode = DELIVERY_CODE.get(msg.delivery)
  if (typeCode === undefined) throw new ZeroStateError('INVALID_ARGUMENT', `unknown message type ${String(msg.type)}`)
  if (deliveryCode === undefined) throw new ZeroStateError('INVALID_ARGUMENT', `unknown delivery ${String(msg.delivery)}`)
  const wire: Record<string, unknown> = { v: ENVELOPE_VERSION, i: idToBytes(msg.id) }
  if (msg.correlationId !== msg.id) wire.c = idToBytes(msg.correlationId)
  wire.t = typeCode
  wire.d = deliveryCode
  wire.s = msg.timestamp
  wire.l = msg.ttl
  wire.p = msg.priority
  wire.f = addressBytes(msg.from, cache)
  if (msg.to !== '') {
    const implied = ctx.impliedToNode
    if (implied !== undefined && msg.to.startsWith(implied) && msg.to.charCodeAt(implied.length) === 35 /* # */) {
      wire.o = msg.to.slice(implied.length + 1)
    } else {
      wire.o = addressBytes(msg.to, cache)
    }
  }
  if (msg.replyTo !== msg.from) wire.r = addressBytes(msg.replyTo, cache)
  if (msg.payload !== undefined) wire.a = msg.payload
  if (msg.attempt !== undefined && msg.attempt !== 0) wire.n = msg.attempt
  if (msg.budget !== undefined) wire.b = msg.budget
  if (msg.signature !== undefined) wire.g = msg.signature
  return wire
}

/**
 * Encode an envelope to its msgpack wire form.
 *
 * @example
 * ```ts
 * const bytes = encodeEnvelope(msg)
 * const back = decodeEnvelope(bytes)
 * ```
 */
export function encodeEnvelope (msg: AgentMessage, ctx: CodecContext = {}, cache?: AddressBytesCache): Uint8Array {
  const wire = envelopeToWire(msg, ctx, cache)
  let bytes: Uint8Array
  try {
    bytes = encoder.encode(wire)
  } catch (cause) {
    throw new ZeroStateError('INVALID_ARGUMENT', `the ${msg.type} payload cannot be encoded as msgpack (plain data only: no functions, symbols, BigInt, Map, Set or cycles)`, { cause })
  }
  if (bytes.length > MAX_ENVELOPE_BYTES) {
    throw new ZeroStateError('PAYLOAD_TOO_LARGE', `envelope of ${bytes.length} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  }
  // Receivers refuse "__proto__" keys (prototype pollution); refuse them here, where the sender can be told.
  // The byte search is cheap; the walk only confirms a hit (the string may be a value, not a key).
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(PROTO_KEY_BYTES) !== -1 && hasProtoKey(msg.payload)) {
    throw new ZeroStateError('INVALID_ARGUMENT', `the ${msg.type} payload has a "__proto__" key, which receivers refuse`)
  }
  return bytes
}

/** msgpack fixstr "__proto__". */
const PROTO_KEY_BYTES = Buffer.concat([Buffer.from([0xa9]), Buffer.from('__proto__')])

/** True when some object in `value` has an own "__proto__" key. */
function hasProtoKey (value: unknown): boolean {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v !== 'object' || v === null || v instanceof Uint8Array) continue
    if (Array.isArray(v)) { stack.push(...v); continue }
    if (Object.prototype.hasOwnProperty.call(v, '__proto__')) return true
    stack.push(...Object.values(v))
  }
  return false
}

/** Decode msgpack under the same limits as envelopes. */
export function decodeValue (bytes: Uint8Array): unknown {
  if (bytes.length > MAX_ENVELOPE_BYTES * 2) throw new EnvelopeDecodeError('oversized', `${bytes.length} bytes`)
  try {
    return decoder.decode(bytes)
  } catch (cause) {
    throw malformed('not valid msgpack', cause)
  }
}

/**
 * Decode and validate one envelope. Throws {@link EnvelopeDecodeError}
 * (code `INVALID_ENVELOPE`, `reason` malformed | oversized | unknown_version | unknown_type).
 * A `to` sent in the compact form is completed from `ctx.impliedToNode`, or
 * left relative (`#name`) when no context is given.
 */
export function decodeEnvelope (bytes: Uint8Array, ctx: CodecContext = {}): AgentMessage {
  if (!(bytes instanceof Uint8Array)) throw malformed('not bytes')
  if (bytes.length > MAX_ENVELOPE_BYTES) throw new EnvelopeDecodeError('oversized', `envelope of ${bytes.length} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  return envelopeFromWire(decodeValue(bytes), ctx)
}

/** Validate a decoded wire map and build the message. */
export function envelopeFromWire (raw: unknown, ctx: CodecContext = {}): AgentMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array) throw malformed('envelope is not a map')
  const w = raw as Record<string, unknown>
  for (const key of Object.keys(w)) {
    if (!KNOWN_KEYS.has(key)) throw malformed(`unknown field "${key.slice(0, 16)}"`)
  }
  if (w.v !== ENVELOPE_VERSION) throw new EnvelopeDecodeError('unknown_version', `unsupported envelope version ${String(w.v).slice(0, 16)}`)
  const id = bytesToId(bin(w.i, 'i', ID_BYTES))
  const correlationId = w.c === undefined ? id : bytesToId(bin(w.c, 'c', ID_BYTES))
  const typeCode = uint(w.t, 't', 255)
  const type = MESSAGE_TYPES[typeCode - 1]
  if (type === undefined) throw new EnvelopeDecodeError('unknown_type', `unknown message type ${typeCode}`)
  const delivery = DELIVERIES[uint(w.d, 'd', 255)]
  if (delivery === undefined) throw malformed(`unknown delivery ${String(w.d)}`)
  const timestamp = uint(w.s, 's', Number.MAX_SAFE_INTEGER)
  const ttl = uint(w.l, 'l', MAX_TTL_MS)
  const priority = uint(w.p, 'p', 255)
  const from = bytesToAddress(binAny(w.f, 'f'), 'from')
  let to = ''
  if (typeof w.o === 'string') {
    if (!isValidAgentName(w.o)) throw malformed('to: bad agent name')
    to = ctx.impliedToNode === undefined ? `#${w.o}` : agentAddress(ctx.impliedToNode, w.o)
  } else if (w.o !== undefined) {
    to = bytesToAddress(binAny(w.o, 'o'), 'to')
  }
  const replyTo = w.r === undefined ? from : bytesToAddress(binAny(w.r, 'r'), 'replyTo')
  const msg: AgentMessage = { id, correlationId, type, delivery, timestamp, ttl, priority, from, to, replyTo, payload: w.a }
  if (w.n !== undefined) msg.attempt = uint(w.n, 'n', MAX_ATTEMPT)
  if (w.b !== undefined) {
    if (typeof w.b !== 'number' || !Number.isFinite(w.b) || w.b < 0) throw malformed('budget must be a finite number >= 0')
    msg.budget = w.b
  }
  if (w.g !== undefined) msg.signature = bin(w.g, 'g', SIGNATURE_BYTES)
  if ((type === 'REQUEST' || type === 'RESPONSE' || type === 'ACK') && to === '') throw malformed(`${type} without a recipient`)
  return msg
}

const KNOWN_KEYS = new Set(['v', 'i', 'c', 't', 'd', 's', 'l', 'p', 'f', 'o', 'r', 'a', 'n', 'b', 'g'])

function bin (value: unknown, field: string, length: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) throw malformed(`${field}: expected ${length} bytes`)
  return value
}

function binAny (value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw malformed(`${field}: expected bytes`)
  return value
}

function uint (value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw malformed(`${field}: expected an integer in 0..${max}`)
  return value
}

function malformed (message: string, cause?: unknown): EnvelopeDecodeError {
  return new EnvelopeDecodeError('malformed', message, cause)
}
