import { describe, expect, it } from 'vitest'
import { HEARTBEAT_LIMITS, parseHeartbeat, type HeartbeatPayload } from '../../src/discovery/heartbeat.ts'

const NODE = 'did:key:z6MkNodeA'
const OTHER = 'did:key:z6MkNodeB'

function heartbeat (overrides: Partial<HeartbeatPayload> = {}): HeartbeatPayload {
  return {
    nodeDid: NODE,
    seq: 1,
    intervalMs: 1000,
    addrs: ['/ip4/127.0.0.1/tcp/4001'],
    agents: [{ id: `${NODE}#echo`, capabilities: ['echo'], load: { running: 1, queued: 2, concurrency: 4 }, price: 3 }],
    ...overrides
  }
}

describe('parseHeartbeat', () => {
  it('accepts a well-formed heartbeat and keeps only known fields', () => {
    const parsed = parseHeartbeat({ ...heartbeat(), extra: 'ignored' }, NODE)
    expect(parsed).toEqual({ ok: true, heartbeat: heartbeat() })
  })

  it('accepts a goodbye', () => {
    const parsed = parseHeartbeat(heartbeat({ agents: [], bye: true }), NODE)
    expect(parsed.ok && parsed.heartbeat.bye).toBe(true)
  })

  it('refuses a heartbeat whose nodeDid is not its sender', () => {
    expect(parseHeartbeat(heartbeat(), OTHER)).toMatchObject({ ok: false, reason: 'wrong_node' })
  })

  it('refuses a node announcing an agent of another node', () => {
    const forged = heartbeat({ agents: [{ id: `${OTHER}#echo`, capabilities: ['echo'], load: { running: 0, queued: 0, concurrency: 1 } }] })
    expect(parseHeartbeat(forged, NODE)).toMatchObject({ ok: false, reason: 'wrong_node' })
  })

  it.each([
    ['not a map', 'nope'],
    ['negative seq', { ...heartbeat(), seq: -1 }],
    ['interval too short', { ...heartbeat(), intervalMs: HEARTBEAT_LIMITS.minIntervalMs - 1 }],
    ['interval too long', { ...heartbeat(), intervalMs: HEARTBEAT_LIMITS.maxIntervalMs + 1 }],
    ['bye that is not true', { ...heartbeat(), bye: 1 }],
    ['address that is not a string', { ...heartbeat(), addrs: [42] }],
    ['agents that are not a list', { ...heartbeat(), agents: {} }],
    ['agent without a name', { ...heartbeat(), agents: [{ id: `${NODE}#`, capabilities: [], load: { running: 0, queued: 0, concurrency: 1 } }] }],
    ['fractional load', { ...heartbeat(), agents: [{ id: `${NODE}#a`, capabilities: [], load: { running: 0.5, queued: 0, concurrency: 1 } }] }],
    ['zero concurrency', { ...heartbeat(), agents: [{ id: `${NODE}#a`, capabilities: [], load: { running: 0, queued: 0, concurrency: 0 } }] }],
    ['negative price', { ...heartbeat(), agents: [{ id: `${NODE}#a`, capabilities: [], load: { running: 0, queued: 0, concurrency: 1 }, price: -1 }] }],
    ['capability that is not a string', { ...heartbeat(), agents: [{ id: `${NODE}#a`, capabilities: [1], load: { running: 0, queued: 0, concurrency: 1 } }] }]
  ])('refuses a malformed heartbeat: %s', (_, payload) => {
    expect(parseHeartbeat(payload, NODE)).toMatchObject({ ok: false, reason: 'malformed' })
  })

  it('refuses heartbeats beyond the size limits', () => {
    const agent = { id: `${NODE}#a`, capabilities: [], load: { running: 0, queued: 0, concurrency: 1 } }
    expect(parseHeartbeat({ ...heartbeat(), agents: new Array(HEARTBEAT_LIMITS.agents + 1).fill(agent) }, NODE)).toMatchObject({ ok: false, reason: 'too_large' })
    expect(parseHeartbeat({ ...heartbeat(), addrs: new Array(HEARTBEAT_LIMITS.addrs + 1).fill('/ip4/1.2.3.4/tcp/1') }, NODE)).toMatchObject({ ok: false, reason: 'too_large' })
    const longCapability = 'x'.repeat(HEARTBEAT_LIMITS.stringLength + 1)
    expect(parseHeartbeat({ ...heartbeat(), agents: [{ ...agent, capabilities: [longCapability] }] }, NODE)).toMatchObject({ ok: false, reason: 'malformed' })
  })
})
