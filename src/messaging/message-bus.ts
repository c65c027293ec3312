/**
 * The MessageBus of one address (the node, or one agent), over the node's
 * router core.
 */
import type { CapabilityTarget, MessageBus, Reply, RequestOptions, RequestTarget, SendOptions } from '../bus-types.ts'
import { isZeroStateError, ZeroStateError } from '../errors.ts'
import type { AgentMessage, Delivery, MessageType } from '../envelope-types.ts'
import { DELIVERIES, MESSAGE_TYPES } from '../envelope-types.ts'
import { NO_CORRELATION } from './message-ids.ts'
import { MAX_TTL_MS as MAX_ENVELOPE_TTL_MS } from '../envelope/codec.ts'
import type { RouterCore } from './router-core.ts'

/** Longest TTL (and request timeout) an envelope may carry: 7 days. */
export const MAX_TTL_MS = MAX_ENVELOPE_TTL_MS

/** Default request timeout, ms. */
export const DEFAULT_TIMEOUT_MS = 30_000

/**
 * Resolves a capability target to a request sent to a concrete agent. Supplied
 * by the node's selection layer; it may try several candidates.
 */
export type CapabilityCaller = (
  target: CapabilityTarget,
  send: (agentId: string) => Promise<Reply>,
  options: RequestOptions,
  /** The request payload (an auction's call for proposals shows it to bidders). */
  task?: unknown
) => Promise<Reply>

export interface MessageBusInit {
  core: RouterCore
  address: string
  /** Selection by capability; without it such requests fail with NO_AGENT. */
  byCapability?: () => CapabilityCaller | undefined
}

/** Create the bus that sends as `address`. */
export function createMessageBus (init: MessageBusInit): MessageBus {
  const { core, address } = init

  const envelope = (type: MessageType, to: string, payload: unknown, options: SendOptions, expectsAnswer: boolean, id?: string, timeout?: number): AgentMessage => {
    const delivery = checkDelivery(options.delivery)
    const priority = checkPriority(options.priority)
    const ttl = checkTtl(options.ttl ?? timeout ?? DEFAULT_TIMEOUT_MS)
    const messageId = id ?? core.ids.next()
    return {
      id: messageId,
      correlationId: expectsAnswer ? messageId : NO_CORRELATION,
      type,
      delivery,
      timestamp: Date.now(),
      ttl,
      priority,
      from: address,
      to,
      replyTo: address,
      payload
    }
  }

  const requestEnvelope = (to: string, payload: unknown, options: RequestOptions): { msg: AgentMessage, timeout: number } => {
    checkOptions(options)
    const timeout = checkTimeout(options.timeout)
    const msg = envelope('REQUEST', to, payload, options, true, options.id, timeout)
    if (options.budget !== undefined) {
      if (!Number.isFinite(options.budget) || options.budget < 0) throw new ZeroStateError('INVALID_ARGUMENT', 'budget must be a finite number >= 0')
      msg.budget = options.budget
    }
    return { msg, timeout }
  }

  // Not async: a request on the hot path creates one promise (the router's).
  const callAgent = (to: string, payload: unknown, options: RequestOptions): Promise<Reply> => {
    const { msg, timeout } = requestEnvelope(to, payload, options)
    return core.call(msg, timeout, options.signal)
  }

  const call = async <T>(to: RequestTarget, payload: unknown, options: RequestOptions | null = {}): Promise<Reply<T>> => {
    options ??= {}
    if (typeof to === 'string') return await callAgent(to, payload, options) as Reply<T>
    return await callByCapability<T>(to, payload, options)
  }

  const callByCapability = async <T>(to: RequestTarget, payload: unknown, options: RequestOptions): Promise<Reply<T>> => {
    if (typeof to !== 'object' || to === null || typeof to.capability !== 'string') {
      throw new ZeroStateError('INVALID_ARGUMENT', 'a request target is an agent id or { capability, strategy? }')
    }
    const caller = init.byCapability?.()
    if (caller === undefined) throw new ZeroStateError('NO_AGENT', `no agent selection is available for capability "${to.capability}"`)
    const send = async (agentId: string): Promise<Reply> => {
      try {
        return await callAgent(agentId, payload, options)
      } catch (err) {
        // Name the chosen agent, so a workflow retry can avoid it.
        if (isZeroStateError(err) && err.details?.agentId === undefined) Object.assign(err, { details: { ...err.details, agentId } })
        throw err
      }
    }
    return await caller(to, send, options, payload) as Reply<T>
  }

  return {
    address,
    send: async message => {
      if (typeof message !== 'object' || message === null) throw new ZeroStateError('INVALID_ARGUMENT', 'send takes { to, type, payload, ... }')
      checkOptions(message)
      if (!MESSAGE_TYPES.includes(message.type) || message.type === 'RESPONSE' || message.type === 'ACK') {
        throw new ZeroStateError('INVALID_ARGUMENT', `cannot send a message of type ${String(message.type)}`)
      }
      const msg = envelope(message.type, message.to, message.payload, message, false)
      await core.send(msg, message.signal)
    },
    request: <T>(to: RequestTarget, payload: unknown, options: RequestOptions | null = {}): Promise<T> => {
      options ??= {}
      if (typeof to !== 'string') return callByCapability<T>(to, payload, options).then(replyPayload)
      try {
        // The router settles this promise with the payload itself: no mapping step per request.
        const { msg, timeout } = requestEnvelope(to, payload, options)
        return core.callForPayload(msg, timeout, options.signal) as Promise<T>
      } catch (err) {
        return Promise.reject(err)
      }
    },
    call,
    broadcast: async (payload, options = {}) => {
      options ??= {}
      checkOptions(options)
      const msg = envelope('BROADCAST', '', payload, options, false)
      await core.broadcast(msg)
    },
    on: (type, handler) => core.observe(address, type, handler)
  }
}

/** Options must be an object, and a signal an AbortSignal. */
function checkOptions (options: SendOptions): void {
  if (typeof options !== 'object' || options === null) throw new ZeroStateError('INVALID_ARGUMENT', 'options must be an object')
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new ZeroStateError('INVALID_ARGUMENT', 'signal must be an AbortSignal')
}

function replyPayload<T> (reply: Reply<T>): T {
  return reply.payload
}

function checkDelivery (delivery: Delivery | undefined): Delivery {
  if (delivery === undefined) return 'BEST_EFFORT'
  if (!DELIVERIES.includes(delivery)) throw new ZeroStateError('INVALID_ARGUMENT', `unknown delivery ${String(delivery)}`)
  return delivery
}

function checkPriority (priority: number | undefined): number {
  if (priority === undefined) return 0
  if (!Number.isInteger(priority) || priority < 0 || priority > 255) throw new ZeroStateError('INVALID_ARGUMENT', 'priority must be an integer 0..255')
  return priority
}

function checkTtl (ttl: number): number {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL_MS) throw new ZeroStateError('INVALID_ARGUMENT', `ttl must be an integer number of milliseconds from 0 to ${MAX_TTL_MS} (7 days)`)
  return ttl
}

function checkTimeout (timeout: number | undefined): number {
  if (timeout === undefined) return DEFAULT_TIMEOUT_MS
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_TTL_MS) throw new ZeroStateError('INVALID_ARGUMENT', `timeout must be a positive number of milliseconds up to ${MAX_TTL_MS} (7 days)`)
  return Math.ceil(timeout)
}
