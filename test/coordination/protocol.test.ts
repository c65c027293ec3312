import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compactRequest, compactResult, expandResult, parseRequest, PROTOCOL_VERSION, type CoordinationRequest } from '../../src/coordination/protocol.ts'
import { isZeroStateError } from '../../src/errors.ts'

const node = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
const other = 'did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th'

describe('coordination wire forms', () => {
  it('a compacted request parses back to itself, whoever the caller and whatever the ids', () => {
    const caller = fc.oneof(fc.constant(node), fc.string({ minLength: 1, maxLength: 12 }).map(a => `${node}#${a}`), fc.constant(`${other}#x`))
    fc.assert(fc.property(caller, fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }), fc.boolean(), (c, requestId, sameId) => {
      const request: CoordinationRequest = { v: PROTOCOL_VERSION, caller: c, requestId, op: { op: 'lock.acquire', resource: 'db', type: 'exclusive', ttl: 1000, wait: true } }
      const implied = { sender: node, messageId: sameId ? requestId : 'f'.repeat(32) }
      const wire = compactRequest(request, implied)
      expect(parseRequest(wire, implied)).toEqual(request)
      if (c === node) expect(wire.caller).toBeUndefined()
      if (sameId) expect(wire.requestId).toBeUndefined()
    }))
  })

  it('leaves the sending node and message id out of the bytes', () => {
    const request: CoordinationRequest = { v: PROTOCOL_VERSION, caller: `${node}#worker`, requestId: 'a'.repeat(32), op: { op: 'state.get', key: 'k' } }
    expect(compactRequest(request, { sender: node, messageId: 'a'.repeat(32) })).toEqual({ v: PROTOCOL_VERSION, op: { op: 'state.get', key: 'k' }, caller: '#worker' })
  })

  it('still needs a caller when nothing implies one', () => {
    expect(() => parseRequest({ v: PROTOCOL_VERSION, requestId: 'r', op: { op: 'state.get', key: 'k' } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    const err = (() => { try { parseRequest({ v: PROTOCOL_VERSION, caller: '#a', op: { op: 'state.get', key: 'k' } }) } catch (e) { return e } })()
    expect(isZeroStateError(err, 'INVALID_ARGUMENT')).toBe(true)
  })

  it('an acquire grant travels without what its request says, and is whole again on arrival', () => {
    const request: CoordinationRequest = { v: PROTOCOL_VERSION, caller: `${node}#a`, requestId: 'r', op: { op: 'lock.acquire', resource: 'db', type: 'shared', ttl: 500, wait: false } }
    const grant = { resource: 'db', type: 'shared', token: 't', fencingToken: 7, holder: `${node}#a`, expiresAt: 123 }
    const wire = compactResult(request, { ok: true, value: grant })
    expect(wire).toEqual({ ok: true, value: { token: 't', fencingToken: 7, expiresAt: 123 } })
    expect(expandResult(request.op, request.caller, wire)).toEqual({ ok: true, value: grant })
    expect(expandResult(request.op, request.caller, { ok: true, value: grant })).toEqual({ ok: true, value: grant })
    const failed = { ok: false as const, error: { code: 'LOCK_CONFLICT', message: 'held' } }
    expect(compactResult(request, failed)).toBe(failed)
  })
})
