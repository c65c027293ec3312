/**
 * ZeroState: the public API.
 */
import './polyfill.ts'

export { createNode } from './node/create-mesh-node.ts'
export type { ZeroStateNode } from './node/create-mesh-node.ts'
export type { NodeInit, ZeroStateNodeCore } from './node/node-types.ts'
export type { AgentSpec, AgentHandle, TaskContext, TaskHandler, SupervisionOptions, Bid, CallForProposals } from './agent-types.ts'
export type { MessageBus, SendOptions, RequestOptions, RequestTarget, CapabilityTarget, Reply, MessageHandler } from './bus-types.ts'
export type { AgentMessage, MessageType, Delivery } from './envelope-types.ts'
export { MESSAGE_TYPES, DELIVERIES } from './envelope-types.ts'
export { encodeEnvelope, decodeEnvelope, EnvelopeDecodeError, MAX_ENVELOPE_BYTES, ENVELOPE_VERSION } from './envelope/codec.ts'
export { BROADCAST_TOPIC, inboxTopic } from './net/topics.ts'
export type { SignaturePolicy } from './net/libp2p-host.ts'
export type { FaultInjector } from '../actors/gossip-bridge.ts'
export { didFromPublicKey, parseAddress, agentAddress } from './identity/did.ts'
export {
  ZeroStateError, TimeoutError, AbortedError, TaskError, InvalidSpecError, CycleError, BudgetExceededError,
  StateConflictError, LockLostError, isZeroStateError, errorFromWire, errorToWire
} from './errors.ts'
export type { ErrorCode, WireError } from './errors.ts'
