/**
 * The design floor: the least work any implementation of DESIGN.md must add
 * to a raw gossipsub round trip, measured on the same pair of raw hosts so
 * the messaging benchmark can show how much of ZeroState's overhead is the
 * design itself and how much is ZeroState's own code.
 *
 * Two variants, each a request/response over two topics of the raw pair:
 * - `envelope`: both messages are msgpack maps with the envelope's short keys
 *   (DESIGN §4), encoded and decoded with @msgpack/msgpack, no validation;
 * - `agent`: the same, and the responder hands every request to an XState
 *   actor with `idle`/`busy` states (DESIGN §1: every agent is an XState
 *   actor; the agent issue asks for idle and busy), which answers from its
 *   `busy -> idle` transition as an agent machine does.
 *
 * Nothing else: no routing, dedup, deadlines, metrics, pending table, or
 * authentication. It is a lower bound, not an alternative runtime.
 *
 * @example
 * ```ts
 * const floor = await startDesignFloor(a, b, 'agent')
 * await latencies(1000, floor.once)
 * floor.stop()
 * ```
 */
import { decode, encode } from '@msgpack/msgpack'
import type { Message } from '@libp2p/interface'
import { assign, createActor, setup } from 'xstate'
import type { Libp2pHost } from '../src/net/libp2p-host.ts'

export type DesignFloorVariant = 'envelope' | 'agent'

export interface DesignFloor {
  /** One request/response round trip. */
  once: () => Promise<void>
  stop: () => void
}

/** A request or response with the envelope's short keys (values shaped like ZeroState's). */
interface FloorEnvelope { v: number, i: Uint8Array, c?: Uint8Array, t: number, d: number, s: number, l: number, r?: number, f: Uint8Array, o: Uint8Array, p: unknown }

interface FloorTask { env: FloorEnvelope }

/** A minimal agent: idle until a task arrives, busy until its handler is done, answering on the way back to idle. */
const floorAgentMachine = setup({
  types: {} as { context: { running: FloorTask[] }, events: { type: 'arrive', task: FloorTask } | { type: 'done', output: unknown } },
  actions: {
    start: (_, _params: { task: FloorTask }) => {},
    reply: (_, _params: { task: FloorTask, output: unknown }) => {}
  }
}).createMachine({
  context: { running: [] },
  initial: 'idle',
  states: {
    idle: {
      on: {
        arrive: {
          target: 'busy',
          actions: [assign({ running: ({ event }) => [event.task] }), { type: 'start', params: ({ event }) => ({ task: event.task }) }]
        }
      }
    },
    busy: {
      on: {
        done: {
          target: 'idle',
          actions: [{ type: 'reply', params: ({ context, event }) => ({ task: context.running[0]!, output: event.output }) }, assign({ running: [] })]
        }
      }
    }
  }
})

const REQUEST = 1
const RESPONSE = 2

function responseTo (req: FloorEnvelope, output: unknown): Uint8Array {
  return encode({ v: 1, i: req.i, c: req.i, t: RESPONSE, d: req.d, s: Date.now(), l: req.l, f: req.o, o: req.f, p: output } satisfies FloorEnvelope)
}

async function waitForSubscriber (host: Libp2pHost, topic: string, peer: Libp2pHost, signal: AbortSignal): Promise<void> {
  while (!host.services.pubsub.getSubscribers(topic).some(p => p.equals(peer.peerId))) {
    signal.throwIfAborted()
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/**
 * Start the floor's responder on `responder` and return the caller's round
 * trip on `caller` (the two hosts must be connected). Echoes `payload`.
 */
export async function startDesignFloor (caller: Libp2pHost, responder: Libp2pHost, variant: DesignFloorVariant, payload: unknown = { data: 'x'.repeat(80) }, signal: AbortSignal = AbortSignal.timeout(10_000)): Promise<DesignFloor> {
  const requestTopic = `floor-${variant}-request`
  const responseTopic = `floor-${variant}-response`
  const publishResponse = (bytes: Uint8Array): void => { void responder.services.pubsub.publish(responseTopic, bytes).catch(() => {}) }

  const agent = createActor(floorAgentMachine.provide({
    actions: {
      start: (_, { task }) => { agent.send({ type: 'done', output: task.env.p }) },
      reply: (_, { task, output }) => { publishResponse(responseTo(task.env, output)) }
    }
  })).start()

  const onRequest = (evt: CustomEvent<Message>): void => {
    if (evt.detail.topic !== requestTopic) return
    const env = decode(evt.detail.data) as FloorEnvelope
    if (variant === 'agent') agent.send({ type: 'arrive', task: { env } })
    else publishResponse(responseTo(env, env.p))
  }
  let answered: () => void = () => {}
  const onResponse = (evt: CustomEvent<Message>): void => {
    if (evt.detail.topic !== responseTopic) return
    decode(evt.detail.data)
    answered()
  }
  responder.services.pubsub.addEventListener('message', onRequest)
  caller.services.pubsub.addEventListener('message', onResponse)
  responder.services.pubsub.subscribe(requestTopic)
  caller.services.pubsub.subscribe(responseTopic)
  await waitForSubscriber(caller, requestTopic, responder, signal)
  await waitForSubscriber(responder, responseTopic, caller, signal)

  const from = new Uint8Array(34).fill(1)
  const to = new Uint8Array(34).fill(2)
  // Ids unique across floors on the same hosts: gossipsub's unsigned message id is a hash of the data alone.
  const idPrefix = crypto.getRandomValues(new Uint8Array(12))
  let seq = 0
  return {
    async once () {
      const id = new Uint8Array(16)
      id.set(idPrefix, 4)
      new DataView(id.buffer).setUint32(0, seq++)
      const done = new Promise<void>(resolve => { answered = resolve })
      await caller.services.pubsub.publish(requestTopic, encode({ v: 1, i: id, t: REQUEST, d: 1, s: Date.now(), l: 30_000, r: 0, f: from, o: to, p: payload } satisfies FloorEnvelope))
      await done
    },
    stop () {
      agent.stop()
      responder.services.pubsub.removeEventListener('message', onRequest)
      caller.services.pubsub.removeEventListener('message', onResponse)
      responder.services.pubsub.unsubscribe(requestTopic)
      caller.services.pubsub.unsubscribe(responseTopic)
    }
  }
}
