/** Bytes that are not well-formed msgpack (or not the form expected). */
export class MsgpackFormatError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'MsgpackFormatError'
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * `bytes[start..end)` as a string: short ASCII (agent names, keys) built
 * directly, anything else through a fatal UTF-8 decoder. Throws
 * {@link MsgpackFormatError} on invalid UTF-8.
 */
export function decodeUtf8 (bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let s = ''
    let i = start
    for (; i < end; i++) {
      const c = bytes[i]!
      if (c >= 0x80) break
      s += String.fromCharCode(c)
    }
    if (i === end) return s
  }
  try {
    return utf8.decode(bytes.subarray(start, end))
  } catch {
    throw new MsgpackFormatError('string is not UTF-8')
  }
}

/**
 * A bounded msgpack reader for the envelope header: it reads map headers,
 * strings, numbers and byte strings in any of their msgpack forms, and skips
 * (without building) values it hands to a full decoder, such as the payload.
 * Every length is checked against the bytes; anything else throws
 * {@link MsgpackFormatError}.
 *
 * @example
 * ```ts
 * const r = new MsgpackReader(bytes)
 * const entries = r.mapHeader()
 * const key = r.str()
 * const start = r.offset; r.skip() // the value's bytes are bytes.subarray(start, r.offset)
 * ```
 */
export class MsgpackReader {
  private readonly bytes: Uint8Array
  private dataView: DataView | undefined = undefined
  private pos = 0

  constructor (bytes: Uint8Array) {
    this.bytes = bytes
  }

  /** For floats and 64-bit integers only (most envelopes have none). */
  private get view (): DataView {
    this.dataView ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
    return this.dataView
  }

  /** Where the next value starts. */
  get offset (): number {
    return this.pos
  }

  /** True when every byte was read. */
  get atEnd (): boolean {
    return this.pos === this.bytes.length
  }

  /** A map header: its number of entries. */
  mapHeader (): number {
    const b = this.byte()
    if (b >= 0x80 && b <= 0x8f) return b & 0x0f
    if (b === 0xde) return this.u16()
    if (b === 0xdf) return this.u32()
    throw new MsgpackFormatError('expected a map')
  }

  /**
   * A one-letter key's character code, read fast when in its usual fixstr
   * form; -1 for any other string (then read with {@link str}).
   */
  shortKey (): number {
    if (this.bytes[this.pos] === 0xa1 && this.pos + 1 < this.bytes.length) {
      const code = this.bytes[this.pos + 1]!
      if (code < 0x80) {
        this.pos += 2
        return code
      }
    }
    return -1
  }

  /** True when the next value is a string. */
  get atStr (): boolean {
    const b = this.bytes[this.pos]
    return b !== undefined && ((b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb)
  }

  /** A UTF-8 string (invalid UTF-8 is an error). */
  str (): string {
    const b = this.byte()
    let n: number
    if (b >= 0xa0 && b <= 0xbf) n = b & 0x1f
    else if (b === 0xd9) n = this.byte()
    else if (b === 0xda) n = this.u16()
    else if (b === 0xdb) n = this.u32()
    else throw new MsgpackFormatError('expected a string')
    const end = this.take(n)
    return decodeUtf8(this.bytes, end - n, end)
  }

  /** A byte string: a view into the input, not a copy. */
  bin (): Uint8Array {
    const b = this.byte()
    let n: number
    if (b === 0xc4) n = this.byte()
    else if (b === 0xc5) n = this.u16()
    else if (b === 0xc6) n = this.u32()
    else throw new MsgpackFormatError('expected bytes')
    const end = this.take(n)
    return this.bytes.subarray(end - n, end)
  }

  /** Any integer or float form, as a number (64-bit integers past 2^53 lose precision, as in @msgpack/msgpack). */
  number (): number {
    const b = this.byte()
    if (b < 0x80) return b
    if (b >= 0xe0) return b - 0x100
    let at: number
    switch (b) {
      case 0xcc: return this.byte()
      case 0xcd: return this.u16()
      case 0xce: return this.u32()
      case 0xcf: return this.u32() * 0x100000000 + this.u32()
      case 0xd0: at = this.take(1) - 1; return this.view.getInt8(at)
      case 0xd1: at = this.take(2) - 2; return this.view.getInt16(at)
      case 0xd2: at = this.take(4) - 4; return this.view.getInt32(at)
      case 0xd3: at = this.take(8) - 8; return this.view.getInt32(at) * 0x100000000 + this.view.getUint32(at + 4)
      case 0xca: at = this.take(4) - 4; return this.view.getFloat32(at)
      case 0xcb: at = this.take(8) - 8; return this.view.getFloat64(at)
      default: throw new MsgpackFormatError('expected a number')
    }
  }

  /** Skip one complete value (however nested) without building it. */
  skip (): void {
    let pending = 1
    while (pending > 0) {
      pending--
      const b = this.byte()
      if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue
      if (b <= 0x8f) { pending += 2 * (b & 0x0f); continue }
      if (b <= 0x9f) { pending += b & 0x0f; continue }
      if (b <= 0xbf) { this.take(b & 0x1f); continue }
      switch (b) {
        case 0xc4: case 0xd9: this.take(this.byte()); break
        case 0xc5: case 0xda: this.take(this.u16()); break
        case 0xc6: case 0xdb: this.take(this.u32()); break
        case 0xc7: this.take(this.byte() + 1); break
        case 0xc8: this.take(this.u16() + 1); break
        case 0xc9: this.take(this.u32() + 1); break
        case 0xcc: case 0xd0: this.take(1); break
        case 0xcd: case 0xd1: this.take(2); break
        case 0xca: case 0xce: case 0xd2: this.take(4); break
        case 0xcb: case 0xcf: case 0xd3: this.take(8); break
        case 0xd4: this.take(2); break
        case 0xd5: this.take(3); break
        case 0xd6: this.take(5); break
        case 0xd7: this.take(9); break
        case 0xd8: this.take(17); break
        case 0xdc: pending += this.u16(); break
        case 0xdd: pending += this.u32(); break
        case 0xde: pending += 2 * this.u16(); break
        case 0xdf: pending += 2 * this.u32(); break
        default: throw new MsgpackFormatError(`never-used type byte 0x${b.toString(16)}`)
      }
    }
  }

  private byte (): number {
    const b = this.bytes[this.pos]
    if (b === undefined) throw new MsgpackFormatError('truncated')
    this.pos++
    return b
  }

  private u16 (): number {
    const at = this.take(2) - 2
    const b = this.bytes
    return (b[at]! << 8) | b[at + 1]!
  }

  private u32 (): number {
    const at = this.take(4) - 4
    const b = this.bytes
    return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!)
  }

  /** Advance past n bytes; returns the new position. */
  private take (n: number): number {
    const end = this.pos + n
    if (end > this.bytes.length) throw new MsgpackFormatError('truncated')
    this.pos = end
    return end
  }
}
