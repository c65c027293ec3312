/**
 * Coordination: locks with fencing tokens, versioned shared state and cyclic
 * barriers (issue 6). `createNode` builds these; users reach them as
 * `node.coordination` and re-exported types.
 *
 * @example
 * ```ts
 * import { createLocalAuthority, createCoordinationClient } from './coordination/index.ts'
 * const authority = createLocalAuthority({ host, registry, logger })
 * const coordination = createCoordinationClient({ backend: authority, holder: node.address })
 * ```
 */
export { attachCoordination, resolveNodeDid, COORDINATION_SERVICE, COORDINATION_PUSH_SERVICE, type AttachCoordinationInit, type NodeCoordination } from './attach-coordination.ts'
export type { CoordinationBackend, OpContext, NotificationListener } from './coordination-backend.ts'
export { createCoordinationClient, releaseHolder, newRequestId, type CoordinationClientInit } from './coordination-client.ts'
export { createCoordinationMetrics, type CoordinationMetrics } from './coordination-metrics.ts'
export { serveCoordination, type CoordinationServer, type CoordinationServerInit } from './coordination-server.ts'
export { createLocalAuthority, type LocalAuthority, type LocalAuthorityInit, type CoordinationClock } from './local-authority.ts'
export { createRemoteBackend, type CoordinationTransport, type RemoteBackend, type RemoteBackendInit } from './remote-backend.ts'
export {
  PROTOCOL_VERSION, parseOp, parseRequest, parseResult, parsePush, compactRequest, compactResult, expandResult,
  type CoordinationOp, type CoordinationResult, type CoordinationNotification, type CoordinationRequest, type CoordinationPush, type OpResults, type ResultOf, type ImpliedByEnvelope
} from './protocol.ts'
export type {
  Coordination, LockGrant, LockType, LockLossReason, LockLostEvent, SharedState, BarrierRelease,
  AcquireLockOptions, UpdateStateOptions, BarrierOptions, WatchOptions, SignalOptions, StateWatch
} from './types.ts'
