/**
 * Test helper: cut two real nodes apart (close their connections and refuse
 * dials between them, both ways) and join them again.
 */
import type { ZeroStateNode } from '../../src/index.ts'

type Dial = ZeroStateNode['internals']['libp2p']['dial']
const blocked = new WeakMap<ZeroStateNode, Set<string>>()
const originals = new WeakMap<ZeroStateNode, Dial>()

function guard (node: ZeroStateNode): Set<string> {
  let peers = blocked.get(node)
  if (peers !== undefined) return peers
  peers = new Set()
  blocked.set(node, peers)
  const libp2p = node.internals.libp2p
  const original = libp2p.dial.bind(libp2p)
  originals.set(node, original)
  const set = peers
  libp2p.dial = (async (target: Parameters<Dial>[0], options?: Parameters<Dial>[1]) => {
    const text = Array.isArray(target) ? target.map(String).join(',') : String(target)
    for (const peer of set) {
      if (text.includes(peer)) throw Object.assign(new Error(`partitioned from ${peer}`), { name: 'DialDeniedError' })
    }
    return await original(target, options)
  }) as Dial
  return peers
}

/** Close every connection between `a` and `b` and refuse new ones until {@link heal}. */
export async function partition (a: ZeroStateNode, b: ZeroStateNode): Promise<void> {
  guard(a).add(b.peerId)
  guard(b).add(a.peerId)
  const { peerIdFromString } = await import('@libp2p/peer-id')
  await Promise.all([
    a.internals.libp2p.hangUp(peerIdFromString(b.peerId)),
    b.internals.libp2p.hangUp(peerIdFromString(a.peerId))
  ])
}

/** Allow dials between `a` and `b` again (nothing is dialled here). */
export function heal (a: ZeroStateNode, b: ZeroStateNode): void {
  blocked.get(a)?.delete(b.peerId)
  blocked.get(b)?.delete(a.peerId)
}
