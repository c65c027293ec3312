import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decode, encode } from '@msgpack/msgpack'
import { MsgpackFormatError, MsgpackReader } from '../../src/envelope/msgpack-reader.ts'
import { MsgpackWriter } from '../../src/envelope/msgpack-writer.ts'

const uint = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 2 ** 32 + 10 }), fc.maxSafeNat())
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 20, maxLength: 300 }))
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 250, maxLength: 70_000 }))
/** Nested msgpack values: maps, arrays, strings, numbers, booleans, null and bytes (no "__proto__" keys, which the decoder refuses). */
const value = fc.oneof(fc.jsonValue(), fc.array(fc.dictionary(fc.string(), fc.oneof(fc.uint8Array(), fc.double(), fc.boolean()))))
  .filter(v => !JSON.stringify(v).includes('"__proto__"'))

describe('msgpack writer', () => {
  it('writes what any msgpack decoder reads back, in the smallest form', () => {
    fc.assert(fc.property(uint, fc.double({ noNaN: true, min: 0 }), text, bytes, (n, x, s, b) => {
      const w = new MsgpackWriter(8)
      w.fixmap(4)
      w.key('n'); w.uint(n)
      w.key('x'); w.number(x)
      w.key('s'); w.str(s)
      w.key('b'); w.bin(b)
      const out = w.take()
      expect(decode(out)).toEqual({ n, x: Object.is(x, -0) ? 0 : x, s, b })
      expect(out.length).toBe(encode({ n, x, s, b }).length)
    }), { numRuns: 300 })
  })

  it('writes hex ids as bytes and refuses anything but lowercase hex of the right length', () => {
    const w = new MsgpackWriter()
    expect(w.hexBin('0a'.repeat(16), 16)).toBe(true)
    expect(decode(w.take())).toEqual(new Uint8Array(16).fill(10))
    for (const bad of ['0A'.repeat(16), '0a'.repeat(15), 'zz'.repeat(16)]) expect(w.hexBin(bad, 16)).toBe(false)
    expect(w.length).toBe(0)
  })
})

describe('msgpack reader', () => {
  it('reads numbers, strings and bytes in every form an encoder writes', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 32 }), fc.maxSafeInteger(), fc.double({ noNaN: true })), text, bytes, fc.boolean(), (n, s, b, floats) => {
      const r = new MsgpackReader(encode([n, s, b], { forceIntegerToFloat: floats }))
      r.skip()
      expect(r.atEnd).toBe(true)
      const number = encode(n, { forceIntegerToFloat: floats })
      expect(new MsgpackReader(number).number()).toBe(decode(number))
      expect(new MsgpackReader(encode(s)).str()).toBe(s)
      expect(new MsgpackReader(encode(b)).bin()).toEqual(b)
    }), { numRuns: 300 })
  })

  it('skips exactly one value, however nested', () => {
    fc.assert(fc.property(value, value, (first, second) => {
      const a = encode(first)
      const both = new Uint8Array([...a, ...encode(second)])
      const r = new MsgpackReader(both)
      r.skip()
      expect(r.offset).toBe(a.length)
      r.skip()
      expect(r.atEnd).toBe(true)
    }), { numRuns: 300 })
  })

  it('throws MsgpackFormatError on truncated input, never reads past the end', () => {
    fc.assert(fc.property(value, fc.nat(), (v, cut) => {
      const full = encode(v)
      const short = full.subarray(0, cut % full.length)
      expect(() => { new MsgpackReader(short).skip() }).toThrow(MsgpackFormatError)
    }), { numRuns: 300 })
  })
})
