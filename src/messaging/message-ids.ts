/**
 * Message ids: 16 bytes shown as 32 lowercase hex characters. Each node draws
 * a random 8-byte prefix once and counts up, which is unique without a random
 * draw per message (the hot path).
 */
import { randomBytes } from 'node:crypto'

/** The id that marks a one-way message (no answer expected) in `correlationId`. */
export const NO_CORRELATION = '0'.repeat(32)

/** Counter values stay 12 hex digits: from 2^44 up to 2^48 - 1. */
const COUNTER_FIRST = 2 ** 44
const COUNTER_SPAN = 2 ** 48 - COUNTER_FIRST

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
    return this.prefix + (COUNTER_FIRST + this.counter).toString(16)
  }
}
