/**
 * Remote request/response with the responder in another process, as nodes
 * run in a deployment (and as the NATS figure the messaging issue quotes was
 * measured): a raw gossipsub round trip and a ZeroState request to an agent,
 * interleaved in blocks, from this process to responder-process.ts.
 * StrictNoSign, loopback.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../src/index.ts'
import { createLibp2pHost } from '../src/net/libp2p-host.ts'
import { MAX_FRAME_BYTES } from '../src/envelope/frame.ts'
import { latencies, percentile } from './bench-util.ts'
import { rawRoundTrip } from './raw-echo.ts'
import type { ResponderReady } from './responder-process.ts'

export interface TwoProcessResult { rawP50: number, rawP99: number, p50: number, p99: number }

/** `n` round trips of each kind (after a warm-up), in blocks of 100. */
export async function twoProcessRoundTrips (n: number, signal: AbortSignal = AbortSignal.timeout(120_000)): Promise<TwoProcessResult> {
  const child = fork(fileURLToPath(new URL('./responder-process.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const a = await createNode()
  const ra = await createLibp2pHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], signaturePolicy: 'strict-no-sign', maxMessageBytes: MAX_FRAME_BYTES + 1024 })
  try {
    const ready = await new Promise<ResponderReady>((resolve, reject) => {
      child.once('message', message => { resolve(message as ResponderReady) })
      child.once('exit', code => { reject(new Error(`responder process exited (${String(code)}) before it was ready`)) })
      signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
    })
    await a.dial(ready.zeroState)
    ra.services.pubsub.subscribe('a')
    await ra.dial(multiaddr(ready.raw))
    while (!ra.services.pubsub.getSubscribers('b').some(p => p.toString() !== ra.peerId.toString())) {
      signal.throwIfAborted()
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    const rawOnce = rawRoundTrip(ra)
    const echo = `${ready.did}#echo`
    const task = { data: 'x'.repeat(80) }
    // The first request waits for the responder's inbox subscription to be seen.
    await a.bus.request(echo, task, { timeout: 10_000, signal })
    const zsOnce = async (): Promise<unknown> => await a.bus.request(echo, task)
    // Until the raw side's subscription has reached the responder, a raw publish is silently lost: warm up with a timeout.
    await rawOnceWithin(rawOnce, signal)
    for (let i = 0; i < 2000; i++) { await rawOnce(); await zsOnce() }
    const raw: number[] = []
    const zs: number[] = []
    for (let done = 0; done < n; done += 100) {
      raw.push(...await latencies(100, rawOnce))
      zs.push(...await latencies(100, zsOnce))
    }
    raw.sort((x, y) => x - y)
    zs.sort((x, y) => x - y)
    return { rawP50: percentile(raw, 0.5), rawP99: percentile(raw, 0.99), p50: percentile(zs, 0.5), p99: percentile(zs, 0.99) }
  } finally {
    child.send('stop', () => {})
    await Promise.allSettled([a.stop(), ra.stop()])
    const exited = new Promise(resolve => { child.once('exit', resolve) })
    const timer = setTimeout(() => { child.kill() }, 5_000)
    if (child.exitCode === null) await exited
    clearTimeout(timer)
  }
}

async function rawOnceWithin (once: () => Promise<void>, signal: AbortSignal): Promise<void> {
  for (;;) {
    signal.throwIfAborted()
    const answered = await Promise.race([once().then(() => true), new Promise<boolean>(resolve => setTimeout(() => { resolve(false) }, 200))])
    if (answered) return
  }
}
