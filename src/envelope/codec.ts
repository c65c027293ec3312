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
import { decodeUtf8, MsgpackFormatError, MsgpackReader } from './msgpack-reader.ts'
import { MsgpackWriter } from './msgpack-writer.ts'

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
 * The last key looked up is checked first (a burst of envelopes mostly comes
 * from one sender).
 */
const didMemo = new Map<string, string>()
let lastKey = new Uint8Array(0)
let lastDid = ''

function didOfKey (key: Uint8Array): string {
  if (sameBytes(key, lastKey)) return lastDid
  const hex = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')
  let did = didMemo.get(hex)
  if (did === undefined) {
    did = didFromPublicKey(key)
    if (didMemo.size >= 8192) didMemo.clear()
    didMemo.set(hex, did)
  }
  lastKey = key.slice()
  lastDid = did
  return did
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function bytesToAddress (bytes: Uint8Array, field: string): string {
  const known = recentAddresses.get(bytes)
  if (known !== undefined) return known
  if (bytes.length < NODE_KEY_BYTES) throw malformed(`${field}: address shorter than a node key`)
  const did = didOfKey(bytes.subarray(0, NODE_KEY_BYTES))
  let name: string
  try {
    name = decodeUtf8(bytes, NODE_KEY_BYTES, bytes.length)
  } catch (cause) {
    throw malformed(`${field}: agent name is not utf-8`, cause)
  }
  if (name !== '' && !isValidAgentName(name)) throw malformed(`${field}: bad agent name`)
  const address = agentAddress(did, name)
  recentAddresses.remember(bytes, address)
  return address
}

/**
 * The last few addresses decoded, by their wire bytes: a burst of envelopes
 * between two agents decodes to the very same strings, so the router's
 * lookups keyed by them hit V8's cached string hash instead of hashing a
 * fresh 60-character string per envelope. Pure memo, like the DID one.
 */
class RecentAddresses {
  private readonly bytes: Uint8Array[] = []
  private readonly addresses: string[] = []
  private next = 0

  get (wire: Uint8Array): string | undefined {
    for (let i = 0; i < this.bytes.length; i++) if (sameBytes(wire, this.bytes[i]!)) return this.addresses[i]
    return undefined
  }

  remember (wire: Uint8Array, address: string): void {
    this.bytes[this.next] = wire.slice()
    this.addresses[this.next] = address
    this.next = (this.next + 1) % 4
  }
}

const recentAddresses = new RecentAddresses()

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

/**
 * Encode an envelope to its msgpack wire form: the header is written field
 * by field (the table above, in that order, signature last), the payload by
 * @msgpack/msgpack.
 *
 * @example
 * ```ts
 * const bytes = encodeEnvelope(msg)
 * const back = decodeEnvelope(bytes)
 * ```
 */
export function encodeEnvelope (msg: AgentMessage, ctx: CodecContext = {}, cache?: AddressBytesCache): Uint8Array {
  const typeCode = TYPE_CODE.get(msg.type)
  const deliveryCode = DELIVERY_CODE.get(msg.delivery)
  if (typeCode === undefined) throw new ZeroStateError('INVALID_ARGUMENT', `unknown message type ${String(msg.type)}`)
  if (deliveryCode === undefined) throw new ZeroStateError('INVALID_ARGUMENT', `unknown delivery ${String(msg.delivery)}`)
  // Everything that can throw or run user code (address parsing, the payload's msgpack) comes before the writer is used.
  const from = addressBytes(msg.from, cache)
  let to: Uint8Array | string | undefined
  if (msg.to !== '') {
    const implied = ctx.impliedToNode
    to = implied !== undefined && msg.to.startsWith(implied) && msg.to.charCodeAt(implied.length) === 35 /* # */
      ? msg.to.slice(implied.length + 1)
      : addressBytes(msg.to, cache)
  }
  const replyTo = msg.replyTo === msg.from ? undefined : addressBytes(msg.replyTo, cache)
  const payload = msg.payload === undefined ? undefined : encodePayload(msg)
  const hasCorrelation = msg.correlationId !== msg.id
  const attempt = msg.attempt !== undefined && msg.attempt !== 0 ? msg.attempt : undefined
  if (msg.signature !== undefined && !(msg.signature instanceof Uint8Array)) throw new ZeroStateError('INVALID_ARGUMENT', 'signature must be bytes')
  const w = writer
  // Start clean even if an earlier encode stopped half-way (an invalid id or number below throws mid-write).
  w.reset()
  w.fixmap(8 + (hasCorrelation ? 1 : 0) + (to === undefined ? 0 : 1) + (replyTo === undefined ? 0 : 1) + (payload === undefined ? 0 : 1) +
    (attempt === undefined ? 0 : 1) + (msg.budget === undefined ? 0 : 1) + (msg.signature === undefined ? 0 : 1))
  w.key('v'); w.uint(ENVELOPE_VERSION)
  w.key('i'); writeId(w, msg.id)
  if (hasCorrelation) { w.key('c'); writeId(w, msg.correlationId) }
  w.key('t'); w.uint(typeCode)
  w.key('d'); w.uint(deliveryCode)
  w.key('s'); writeUint(w, msg.timestamp, 'timestamp')
  w.key('l'); writeUint(w, msg.ttl, 'ttl')
  w.key('p'); writeUint(w, msg.priority, 'priority')
  w.key('f'); w.bin(from)
  if (to !== undefined) { w.key('o'); if (typeof to === 'string') w.str(to); else w.bin(to) }
  if (replyTo !== undefined) { w.key('r'); w.bin(replyTo) }
  if (payload !== undefined) { w.key('a'); w.raw(payload) }
  if (attempt !== undefined) { w.key('n'); writeUint(w, attempt, 'attempt') }
  if (msg.budget !== undefined) { w.key('b'); w.number(msg.budget) }
  if (msg.signature !== undefined) { w.key('g'); w.bin(msg.signature) }
  if (w.length > MAX_ENVELOPE_BYTES) throw new ZeroStateError('PAYLOAD_TOO_LARGE', `envelope of ${w.length} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  return w.take()
}

/** The one writer envelopes are encoded with (encoding is synchronous, and no user code runs while it writes). */
const writer = new MsgpackWriter(4096)

function writeId (w: MsgpackWriter, id: string): void {
  if (!w.hexBin(id, ID_BYTES)) throw new ZeroStateError('INVALID_ARGUMENT', `message id must be 32 lowercase hex characters, got "${String(id).slice(0, 40)}"`)
}

function writeUint (w: MsgpackWriter, n: number, field: string): void {
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new ZeroStateError('INVALID_ARGUMENT', `${field} must be a non-negative integer, got ${String(n)}`)
  w.uint(n)
}

/** The payload's msgpack bytes (a view into the encoder's buffer: copy before the next encode). */
function encodePayload (msg: AgentMessage): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = encoder.encodeSharedRef(msg.payload)
  } catch (cause) {
    throw new ZeroStateError('INVALID_ARGUMENT', `the ${msg.type} payload cannot be encoded as msgpack (plain data only: no functions, symbols, BigInt, Map, Set or cycles)`, { cause })
  }
  if (bytes.length > MAX_ENVELOPE_BYTES) {
    throw new ZeroStateError('PAYLOAD_TOO_LARGE', `the ${msg.type} payload of ${bytes.length} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
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

/**
 * Decode and validate one envelope. Throws {@link EnvelopeDecodeError}
 * (code `INVALID_ENVELOPE`, `reason` malformed | oversized | unknown_version | unknown_type).
 * Fields may come in any order and any msgpack form; unknown or repeated
 * fields are malformed. A `to` sent in the compact form is completed from
 * `ctx.impliedToNode`, or left relative (`#name`) when no context is given.
 */
export function decodeEnvelope (input: Uint8Array, ctx: CodecContext = {}): AgentMessage {
  if (!(input instanceof Uint8Array)) throw malformed('not bytes')
  if (input.length > MAX_ENVELOPE_BYTES) throw new EnvelopeDecodeError('oversized', `envelope of ${input.length} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  // A plain view of network Buffers: its slices (and byte strings in the payload) are plain Uint8Arrays, cheaper than Buffer slices.
  const bytes = Object.getPrototypeOf(input) === Uint8Array.prototype ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  let fields: WireFields
  try {
    fields = readFields(bytes)
  } catch (err) {
    if (err instanceof EnvelopeDecodeError) throw err
    throw malformed(err instanceof MsgpackFormatError ? `not a valid envelope: ${err.message}` : 'not valid msgpack', err)
  }
  return envelopeFromFields(fields, bytes, ctx)
}

/** The header fields as read (raw values, not yet validated); `a` is the payload's byte range. */
interface WireFields {
  v?: number
  i?: Uint8Array
  c?: Uint8Array
  t?: number
  d?: number
  s?: number
  l?: number
  p?: number
  f?: Uint8Array
  o?: Uint8Array | string
  r?: Uint8Array
  aStart: number
  aEnd: number
  n?: number
  b?: number
  g?: Uint8Array
  /** A key that is not a field (reported after the version check). */
  unknown?: string
}

const KEY_BITS: Record<number, number> = {}
for (const [i, k] of ['v', 'i', 'c', 't', 'd', 's', 'l', 'p', 'f', 'o', 'r', 'a', 'n', 'b', 'g'].entries()) KEY_BITS[k.charCodeAt(0)] = 1 << i

function readFields (bytes: Uint8Array): WireFields {
  const r = new MsgpackReader(bytes)
  const entries = r.mapHeader()
  const f: WireFields = { aStart: -1, aEnd: -1 }
  let seen = 0
  for (let e = 0; e < entries; e++) {
    let code = r.shortKey()
    if (code === -1) {
      if (!r.atStr) throw malformed('field names must be strings')
      const name = r.str()
      code = name.length === 1 ? name.charCodeAt(0) : -1
      if (code === -1 || KEY_BITS[code] === undefined) {
        f.unknown ??= name
        r.skip()
        continue
      }
    }
    const bit = KEY_BITS[code]
    if (bit === undefined) {
      f.unknown ??= String.fromCharCode(code)
      r.skip()
      continue
    }
    if ((seen & bit) !== 0) throw malformed(`field "${String.fromCharCode(code)}" appears twice`)
    seen |= bit
    switch (code) {
      case 0x76: f.v = readNumber(r, 'v'); break // v
      case 0x69: f.i = readBin(r, 'i'); break // i
      case 0x63: f.c = readBin(r, 'c'); break // c
      case 0x74: f.t = readNumber(r, 't'); break // t
      case 0x64: f.d = readNumber(r, 'd'); break // d
      case 0x73: f.s = readNumber(r, 's'); break // s
      case 0x6c: f.l = readNumber(r, 'l'); break // l
      case 0x70: f.p = readNumber(r, 'p'); break // p
      case 0x66: f.f = readBin(r, 'f'); break // f
      case 0x6f: f.o = r.atStr ? r.str() : readBin(r, 'o'); break // o
      case 0x72: f.r = readBin(r, 'r'); break // r
      case 0x61: f.aStart = r.offset; r.skip(); f.aEnd = r.offset; break // a
      case 0x6e: f.n = readNumber(r, 'n'); break // n
      case 0x62: f.b = readNumber(r, 'b'); break // b
      case 0x67: f.g = readBin(r, 'g'); break // g
    }
  }
  if (!r.atEnd) throw malformed('bytes after the envelope')
  return f
}

function readNumber (r: MsgpackReader, field: string): number {
  try {
    return r.number()
  } catch (err) {
    throw malformed(`${field}: expected a number`, err)
  }
}

function readBin (r: MsgpackReader, field: string): Uint8Array {
  try {
    return r.bin()
  } catch (err) {
    throw malformed(`${field}: expected bytes`, err)
  }
}

/** Validate the fields read and build the message. */
function envelopeFromFields (w: WireFields, bytes: Uint8Array, ctx: CodecContext): AgentMessage {
  if (w.v !== ENVELOPE_VERSION) throw new EnvelopeDecodeError('unknown_version', `unsupported envelope version ${String(w.v).slice(0, 16)}`)
  if (w.unknown !== undefined) throw malformed(`unknown field "${w.unknown.slice(0, 16)}"`)
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
    to = bytesToAddress(w.o, 'to')
  }
  const replyTo = w.r === undefined ? from : bytesToAddress(w.r, 'replyTo')
  const payload = w.aStart === -1 ? undefined : decodePayload(bytes.subarray(w.aStart, w.aEnd))
  const msg: AgentMessage = { id, correlationId, type, delivery, timestamp, ttl, priority, from, to, replyTo, payload }
  if (w.n !== undefined) msg.attempt = uint(w.n, 'n', MAX_ATTEMPT)
  if (w.b !== undefined) {
    if (!Number.isFinite(w.b) || w.b < 0) throw malformed('budget must be a finite number >= 0')
    msg.budget = w.b
  }
  if (w.g !== undefined) msg.signature = bin(w.g, 'g', SIGNATURE_BYTES)
  if ((type === 'REQUEST' || type === 'RESPONSE' || type === 'ACK') && to === '') throw malformed(`${type} without a recipient`)
  return msg
}

function decodePayload (bytes: Uint8Array): unknown {
  try {
    return decoder.decode(bytes)
  } catch (cause) {
    throw malformed('payload is not valid msgpack', cause)
  }
}

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
