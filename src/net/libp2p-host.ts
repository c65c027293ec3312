/**
 * Builds the libp2p host of a node: TCP + Noise + Yamux + identify +
 * gossipsub, tuned for an agent mesh (see docs/AGENT_MESSAGING.md).
 */
import { gossipsub, type GossipsubEvents } from '@chainsafe/libp2p-gossipsub'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { PrivateKey, PubSub } from '@libp2p/interface'

/** How gossipsub authenticates authors. */
export type SignaturePolicy = 'strict-no-sign' | 'strict-sign'

export interface Libp2pHostInit {
  privateKey: PrivateKey
  listen: string[]
  signaturePolicy: SignaturePolicy
  /** Largest gossipsub message accepted, in bytes. */
  maxMessageBytes: number
}

/** The gossipsub service as the router uses it (its public type lacks a few members). */
export type GossipService = PubSub<GossipsubEvents> & {
  getMeshPeers?: (topic: string) => string[]
}

export type Libp2pHost = Libp2p<{ pubsub: GossipService, identify: unknown }>

/** Create (and start) the libp2p host. */
export async function createLibp2pHost (init: Libp2pHostInit): Promise<Libp2pHost> {
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: 1024 },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: init.signaturePolicy === 'strict-sign' ? 'StrictSign' : 'StrictNoSign',
        emitSelf: false,
        floodPublish: true,
        allowPublishToZeroTopicPeers: false,
        ignoreDuplicatePublishError: true,
        // Unknown-peer messages are judged by the router (forged sender, signature), not by scoring.
        scoreParams: { IPColocationFactorWeight: 0, IPColocationFactorThreshold: 1000, behaviourPenaltyWeight: 0 },
        scoreThresholds: { gossipThreshold: -Infinity, publishThreshold: -Infinity, graylistThreshold: -Infinity },
        maxInboundDataLength: init.maxMessageBytes,
        heartbeatInterval: 700
      })
    }
  })
  return node as unknown as Libp2pHost
}
