/**
 * One task's execution state outside the agent machine: its AbortController,
 * deadline key, reported cost and the `ctx` its handler sees. Kept in a Map
 * by the agent runtime, never in machine context.
 */
import type { Logger } from 'pino'
import type { TaskContext } from '../agent-types.ts'
import type { MessageBus } from '../bus-types.ts'
import { errorFromWire, type WireError } from '../errors.ts'
import type { AgentTask } from '../../machines/agent-types.ts'

/**
 * The per-task state and the handler's `ctx` in one object. The signal and the
 * child logger are built on first use, so a handler that never looks at them
 * costs neither.
 */
export class TaskRun implements TaskContext {
  readonly task: AgentTask
  readonly deadline: number
  readonly budget: number
  readonly requestId: string
  readonly from: string
  readonly priority: number
  readonly bus: MessageBus
  /** Sum of the costs the handler reported. */
  cost = 0
  /** performance.now() when the task started; -1 while queued. */
  startedAt = -1
  /** True when the deadline had passed before the task could start. */
  expired = false
  /** Key of the task's deadline in its agent's deadline wheel; 0 when none is armed. */
  deadlineKey = 0
  private controller: AbortController | undefined = undefined
  private abortReason: WireError | undefined = undefined
  private childLogger: Logger | undefined = undefined
  private readonly parentLogger: Logger
  private readonly agentId: string
  private boundReportCost: ((cost: number) => void) | undefined = undefined

  constructor (task: AgentTask, agentId: string, logger: Logger, bus: MessageBus) {
    this.task = task
    this.deadline = task.deadline
    this.budget = task.budget ?? Infinity
    this.requestId = task.taskId
    this.from = task.from
    this.priority = task.priority
    this.bus = bus
    this.parentLogger = logger
    this.agentId = agentId
  }

  /** Aborted at the deadline, when the caller gives up, or when the agent stops or crashes. */
  get signal (): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.abortReason !== undefined) this.controller.abort(errorFromWire(this.abortReason))
    }
    return this.controller.signal
  }

  /** A child logger binding `agentId` and `requestId`. */
  get logger (): Logger {
    if (this.childLogger === undefined) this.childLogger = this.parentLogger.child({ agentId: this.agentId, requestId: this.requestId })
    return this.childLogger
  }

  /** Add to the task's cost (summed); ignores anything but finite non-negative numbers. Safe to destructure. */
  get reportCost (): (cost: number) => void {
    if (this.boundReportCost === undefined) {
      this.boundReportCost = (cost: number) => {
        if (typeof cost === 'number' && Number.isFinite(cost) && cost >= 0) this.cost += cost
      }
    }
    return this.boundReportCost
  }

  /** Abort the task's signal with the typed error rebuilt from `reason`. */
  abort (reason: WireError): void {
    if (this.abortReason !== undefined) return
    this.abortReason = reason
    this.controller?.abort(errorFromWire(reason))
  }

  /** True once the task was aborted (its result no longer counts). */
  get aborted (): boolean {
    return this.abortReason !== undefined
  }

}
