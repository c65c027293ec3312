/**
 * Message ids: 16 bytes shown as 32 lowercase hex characters. Each node draws
 * a random 8-byte prefix once and counts up, which is unique without a random
 * draw per message (the hot path).
 */
import { randomBytes } from 'node:crypto'

/** The id that marks a one-way message (no answer expected) in `correlationId`. */
export const NO_CORRELATION = '0'.repeat(32)

export class MessageIdGenerator {
  private readonly prefix: string
  private counter = 0
  private readonly counterBase: number

  constructor () {
    this.prefix = randomBytes(8).toString('hex')
    this.counterBase = randomBytes(4).readUInt32BE(0)
  }

  /** A fresh id. */
  next (): string {
    this.counter++
    const n = (this.counterBase + this.counter) % 0x10000000000000 // stays within 2^52
    return this.prefix + n.toString(16).padStart(16, '0')
  }
}
