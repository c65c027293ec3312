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
export type { AgentTask, UserLogicTaskEvent, UserLogicReplyEvent, UserLogicCancelEvent } from '../machines/agent-types.ts'
export { MESSAGE_TYPES, DELIVERIES } from './envelope-types.ts'
export { encodeEnvelope, decodeEnvelope, EnvelopeDecodeError, MAX_ENVELOPE_BYTES, ENVELOPE_VERSION } from './envelope/codec.ts'
export { BROADCAST_TOPIC, inboxTopic } from './net/topics.ts'
export type { SignaturePolicy } from './net/libp2p-host.ts'
export type { FaultInjector } from '../actors/gossip-bridge.ts'
export { didFromPublicKey, parseAddress, agentAddress } from './identity/did.ts'
export {
  ZeroStateError, TimeoutError, AbortedError, TaskError, InvalidSpecError, CycleError, BudgetExceededError,
  StateConflictError, LockLostError, isZeroStateError, isTaskError, errorFromWire, errorToWire
} from './errors.ts'
export type { ErrorCode, WireError } from './errors.ts'

// Workflows: chains
export { parseChain } from './chains/parse-chain.ts'
export { newTaskChain, type ChainBuilder } from './chains/chain-builder.ts'
export type { ChainService, ChainRun, ChainRunInfo, ChainSpecInput } from './chains/chain-service.ts'
export type { ChainSpec, ChainStepSpec, ChainResult, ChainStepResult, ChainStatus, ChainStepStatus, StepCondition } from './chains/chain-types.ts'
export { chainRunMachine } from '../machines/chain-run.ts'

// Workflows: DAGs
export { parseDag, type DagSpecInput } from './dags/parse-dag.ts'
export type { DagService, DagRun, DagRunInfo } from './dags/dag-service.ts'
export type { DagSpec, DagNodeSpec, DagResult, DagNodeResult, DagRunStatus, DagNodeStatus, DagFailurePolicy } from './dags/dag-types.ts'
export { dagRunMachine } from '../machines/dag-run.ts'

// Workflows: shared pieces
export { stepMessageId } from './workflow/step-id.ts'
export { parseDuration } from './workflow/duration.ts'
export type { RetryPolicy } from './workflow/retry-policy.ts'
export type { StepExecutor, StepRequest, StepOutcome, WorkflowTask } from './workflow/step-executor.ts'
export { createExecuteStepActor, createStepAttempt, type StepAttempt, type StepAttemptFunction } from '../actors/execute-step.ts'
export { createStepRunner } from '../actors/step-runner.ts'
export type { WorkflowService, WorkflowServiceInit, WorkflowStartOptions } from './workflow/workflow-service.ts'

// Discovery, selection, auctions
export type { AgentDirectory, DirectoryEntry, DirectoryChange } from './discovery/agent-directory.ts'
export type { AgentSelector, SelectionContext } from './discovery/selectors.ts'
export type { AuctionBid, AuctionOptions, AuctionResult } from './discovery/auctioneer.ts'

// Coordination
export type {
  Coordination, LockGrant, LockType, LockLostEvent, SharedState, BarrierRelease,
  AcquireLockOptions, UpdateStateOptions, BarrierOptions, WatchOptions, StateWatch
} from './coordination/types.ts'
export type { CoordinationBackend } from './coordination/coordination-backend.ts'

// Building blocks
export type { ActorHost } from './actor-host.ts'
export { createStandaloneHost } from './actor-host.ts'
