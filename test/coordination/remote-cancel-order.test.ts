import { describe, expect, it } from 'vitest'
import { createRemoteBackend, type CoordinationTransport } from '../../src/coordination/remote-backend.ts'
import { PROTOCOL_VERSION } from '../../src/coordination/protocol.ts'
import { flush, silentLogger } from './helpers.ts'

/** A transport that records each op and answers only when told. */
function heldTransport () {
  const sent: Array<{ op: string, answer: (payload: unknown) => void }> = []
  const transport: CoordinationTransport = {
    call: async payload => await new Promise(resolve => { sent.push({ op: (payload as { op: { op: string } }).op.op, answer: resolve }) }),
    onNotify: () => () => {}
  }
  return { transport, sent }
}

describe('a remote backend that gave up on a waiter', () => {
  it('sends the caller\'s next waiting op only after the cancel of the abandoned one was answered', async () => {
    const { transport, sent } = heldTransport()
    const backend = createRemoteBackend({ transport, logger: silentLogger })
    const ctx = (requestId: string, signal?: AbortSignal) => ({ caller: 'did:key:zB', requestId, ...(signal === undefined ? {} : { signal }) })
    const controller = new AbortController()
    const first = backend.execute({ op: 'barrier.wait', name: 'phase', parties: 2 }, ctx('a'.repeat(32), controller.signal)).catch((err: unknown) => err)
    await flush()
    controller.abort()
    await first
    expect(sent.map(s => s.op)).toEqual(['barrier.wait', 'cancel'])
    const second = backend.execute({ op: 'barrier.wait', name: 'phase', parties: 2 }, ctx('b'.repeat(32)))
    const other = backend.execute({ op: 'barrier.wait', name: 'phase', parties: 2 }, { caller: 'did:key:zC', requestId: 'c'.repeat(32) })
    await flush()
    expect(sent.map(s => s.op)).toEqual(['barrier.wait', 'cancel', 'barrier.wait']) // zC's op; zB's waits for its cancel
    sent[1]!.answer({ v: PROTOCOL_VERSION, ok: true, value: null })
    await flush()
    expect(sent.map(s => s.op)).toEqual(['barrier.wait', 'cancel', 'barrier.wait', 'barrier.wait'])
    for (const s of sent.slice(2)) s.answer({ ok: true, value: { name: 'phase', generation: 0, parties: 2 } })
    await Promise.all([second, other])
  })
})
