/**
 * The responder side of the two-process round trip (two-process.ts starts it
 * with `fork`): a ZeroState node with an `echo` agent, and a raw gossipsub
 * host that echoes topic `b` to topic `a`, both on 127.0.0.1 port 0. It sends
 * its addresses to the parent, and stops on `stop` or when the parent goes.
 */
import '../src/polyfill.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNode } from '../src/index.ts'
import { createLibp2pHost } from '../src/net/libp2p-host.ts'
import { MAX_FRAME_BYTES } from '../src/envelope/frame.ts'
import { echoRawRequests } from './raw-echo.ts'

/** What the responder tells its parent once it listens. */
export interface ResponderReady { zeroState: string, did: string, raw: string }

const node = await createNode()
await node.spawnAgent({ name: 'echo', handle: (task: unknown) => task })
const raw = await createLibp2pHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], signaturePolicy: 'strict-no-sign', maxMessageBytes: MAX_FRAME_BYTES + 1024 })
raw.services.pubsub.subscribe('b')
echoRawRequests(raw)

let stopping = false
async function stop (): Promise<void> {
  if (stopping) return
  stopping = true
  await Promise.allSettled([node.stop(), raw.stop()])
  process.exit(0)
}
process.on('message', message => { if (message === 'stop') void stop() })
process.on('disconnect', () => { void stop() })
process.send?.({ zeroState: node.multiaddrs[0]!.toString(), did: node.did, raw: raw.getMultiaddrs()[0]!.toString() } satisfies ResponderReady)
