import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { describe, expect, it, vi } from 'vitest'
import { createDiscoveryMetrics } from '../../src/discovery/discovery-metrics.ts'
import { PeerDialer, dialTargets } from '../../src/discovery/peer-dialer.ts'

const PEER = '12D3KooWR4HvNdmDECuDEavjh4Eazoi4meQvzFaKUXfjFek2qfeQ'
const OTHER = '12D3KooWCPr89uBxpspL2oSfBa36fzFpgEZhnCX1gAbPZ2Xe1CgH'

function fakeHost (connected: string[] = [], fail = false) {
  const dials: Multiaddr[][] = []
  return {
    dials,
    host: {
      getConnections: () => connected.map(peer => ({ remotePeer: { toString: () => peer } })),
      dial: async (addrs: Multiaddr[]) => { dials.push(addrs); if (fail) throw new Error('refused') }
    }
  }
}

function dialer (host: ReturnType<typeof fakeHost>['host'], now: () => number = () => 0): PeerDialer {
  return new PeerDialer({ host, metrics: createDiscoveryMetrics(new Registry()), logger: pino({ level: 'silent' }), dialTimeoutMs: 1000, retryMs: 500, now })
}

describe('dialling nodes learnt from heartbeats', () => {
  it('dials only addresses of the announcing node, adding its peer id where missing', () => {
    const targets = dialTargets(PEER, ['/ip4/10.0.0.1/tcp/1', `/ip4/10.0.0.2/tcp/2/p2p/${PEER}`, `/ip4/10.0.0.3/tcp/3/p2p/${OTHER}`, 'not a multiaddr'])
    expect(targets.map(String)).toEqual([`/ip4/10.0.0.1/tcp/1/p2p/${PEER}`, `/ip4/10.0.0.2/tcp/2/p2p/${PEER}`])
  })

  it('dials a node it is not connected to, once at a time', async () => {
    const fake = fakeHost()
    const d = dialer(fake.host)
    d.ensureConnected(PEER, ['/ip4/127.0.0.1/tcp/1'])
    d.ensureConnected(PEER, ['/ip4/127.0.0.1/tcp/1'])
    expect(fake.dials).toHaveLength(1)
    expect(fake.dials[0]!.map(String)).toEqual([String(multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${PEER}`))])
  })

  it('does not dial a node it is already connected to', () => {
    const fake = fakeHost([PEER])
    dialer(fake.host).ensureConnected(PEER, ['/ip4/127.0.0.1/tcp/1'])
    expect(fake.dials).toHaveLength(0)
  })

  it('waits before dialling a node again after a failed dial', async () => {
    let now = 0
    const fake = fakeHost([], true)
    const registry = new Registry()
    const d = new PeerDialer({ host: fake.host, metrics: createDiscoveryMetrics(registry), logger: pino({ level: 'silent' }), dialTimeoutMs: 1000, retryMs: 500, now: () => now })
    d.ensureConnected(PEER, ['/ip4/127.0.0.1/tcp/1'])
    await vi.waitFor(async () => { expect(await registry.metrics()).toMatch(/zerostate_discovery_dials_total\{outcome="failed"\} 1/) })
    await new Promise(resolve => { setImmediate(resolve) })
    now = 499
    d.ensureConnected(PEER, ['/ip4/127.0.0.1/tcp/1'])
    expect(fake.dials).toHaveLength(1)
    now = 500
    d.ensureConnected(PEER, ['/ip4/127.0.0.1/tcp/1'])
    expect(fake.dials).toHaveLength(2)
  })

  it('dials nothing after close', () => {
    const fake = fakeHost()
    const d = dialer(fake.host)
    d.close()
    d.ensureConnected(PEER, ['/ip4/127.0.0.1/tcp/1'])
    expect(fake.dials).toHaveLength(0)
  })
})
