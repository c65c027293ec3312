/**
 * A small msgpack writer for the envelope header: the few formats the
 * envelope uses (fixmap, one-letter keys, unsigned integers, float64, bin,
 * str, and raw bytes already in msgpack), written into one scratch buffer
 * that grows as needed. Values follow msgpack's "smallest form" rule, as
 * @msgpack/msgpack writes them, so any msgpack library reads the result.
 *
 * Not reentrant: write one message, `take()` it, then write the next.
 *
 * @example
 * ```ts
 * const w = new MsgpackWriter()
 * w.fixmap(1); w.key('v'); w.uint(1)
 * const bytes = w.take() // 0x81 0xa1 0x76 0x01
 * ```
 */
export class MsgpackWriter {
  private buf: Buffer
  private pos = 0

  constructor (initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes)
  }

  /**
   * A copy of what was written since the last take; the writer starts over.
   * Small results live in Node's Buffer pool (a plain Uint8Array view at
   * some offset of a shared ArrayBuffer), which costs far less than a fresh
   * Uint8Array; not a Buffer, so what is decoded from it is not either.
   */
  take (): Uint8Array {
    const pooled = Buffer.allocUnsafe(this.pos)
    this.buf.copy(pooled, 0, 0, this.pos)
    this.pos = 0
    return new Uint8Array(pooled.buffer, pooled.byteOffset, pooled.length)
  }

  /** Bytes written since the last take. */
  get length (): number {
    return this.pos
  }

  /** Forget what was written (after an error). */
  reset (): void {
    this.pos = 0
  }

  /** A map header of at most 15 entries. */
  fixmap (entries: number): void {
    this.ensure(1)
    this.buf[this.pos++] = 0x80 | entries
  }

  /** A one-letter ASCII key. */
  key (letter: string): void {
    this.ensure(2)
    this.buf[this.pos++] = 0xa1
    this.buf[this.pos++] = letter.charCodeAt(0)
  }

  /** A non-negative safe integer. */
  uint (n: number): void {
    this.ensure(9)
    if (n < 0x80) {
      this.buf[this.pos++] = n
    } else if (n < 0x100000000) {
      this.sized(n, 0xcc, 0xcd, 0xce)
    } else {
      this.buf[this.pos++] = 0xcf
      this.buf.writeUInt32BE(Math.floor(n / 0x100000000), this.pos)
      this.buf.writeUInt32BE(n >>> 0, this.pos + 4)
      this.pos += 8
    }
  }

  /** A number: a non-negative safe integer in its smallest form, anything else as float64. */
  number (n: number): void {
    if (Number.isSafeInteger(n) && n >= 0) {
      this.uint(n)
      return
    }
    this.ensure(9)
    this.buf[this.pos++] = 0xcb
    this.buf.writeDoubleBE(n, this.pos)
    this.pos += 8
  }

  /** A byte string. */
  bin (bytes: Uint8Array): void {
    const n = bytes.length
    this.ensure(5 + n)
    this.binHeader(n)
    this.buf.set(bytes, this.pos)
    this.pos += n
  }

  /**
   * A byte string given as exactly `2 * length` lowercase hex characters.
   * Returns false (writing nothing) when `hex` is not that.
   */
  hexBin (hex: string, length: number): boolean {
    if (hex.length !== 2 * length || !isLowerHex(hex)) return false
    this.ensure(5 + length)
    this.binHeader(length)
    this.pos += this.buf.write(hex, this.pos, length, 'hex')
    return true
  }

  /** A UTF-8 string. */
  str (s: string): void {
    const n = Buffer.byteLength(s, 'utf8')
    this.ensure(5 + n)
    if (n < 32) this.buf[this.pos++] = 0xa0 | n
    else this.sized(n, 0xd9, 0xda, 0xdb)
    this.pos += this.buf.write(s, this.pos, n, 'utf8')
  }

  /** Bytes that already are one msgpack value. */
  raw (bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buf.set(bytes, this.pos)
    this.pos += bytes.length
  }

  private binHeader (n: number): void {
    this.sized(n, 0xc4, 0xc5, 0xc6)
  }

  /** A type byte for n's width (8, 16 or 32 bits), then n big-endian in that width. */
  private sized (n: number, op8: number, op16: number, op32: number): void {
    const b = this.buf
    if (n < 0x100) {
      b[this.pos++] = op8
      b[this.pos++] = n
    } else if (n < 0x10000) {
      b[this.pos++] = op16
      b.writeUInt16BE(n, this.pos)
      this.pos += 2
    } else {
      b[this.pos++] = op32
      b.writeUInt32BE(n, this.pos)
      this.pos += 4
    }
  }

  private ensure (extra: number): void {
    const needed = this.pos + extra
    if (needed <= this.buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2))
    this.buf.copy(grown, 0, 0, this.pos)
    this.buf = grown
  }
}

function isLowerHex (s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
  }
  return true
}
