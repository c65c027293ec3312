/**
 * Message ids: 16 bytes shown as 32 lowercase hex characters. Each node draws
 * a random 10-byte prefix and counts up in the other 6 bytes, unique without a random
 * draw per message (the hot path).
 */
import { randomBytes } from 'node:crypto'

/** The id that marks a one-way message (no answer expected) in `correlationId`. */
export const NO_CORRELATION = '0'.repeat(32)

/** The counter part is 12 hex digits (48 bits). */
const COUNTER_SPAN = 2 ** 48
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export class MessageIdGenerator {
  /** 20 random hex characters, redrawn when the counter wraps. */
  private prefix = randomBytes(10).toString('hex')
  private counter = randomBytes(4).readUInt32BE(0)

  /** A fresh id. */
  next (): string {
    if (++this.counter >= COUNTER_SPAN) {
      this.counter = 0
      this.prefix = randomBytes(10).toString('hex')
    }
    const c = this.counter
    const high = Math.floor(c / 0x100000000)
    // 12 hex digits, two per byte from a table (cheaper than toString + padStart on the hot path).
    return this.prefix + HEX2[high >>> 8]! + HEX2[high & 255]! + HEX2[(c >>> 24) & 255]! + HEX2[(c >>> 16) & 255]! + HEX2[(c >>> 8) & 255]! + HEX2[c & 255]!
  }
}
