/**
 * A harness for the agent machine: records every named action it runs and
 * drives it with a simulated clock.
 */
import { SimulatedClock, createActor, type AnyActorLogic } from 'xstate'
import type { WireError } from '../../src/errors.ts'
import { agentMachine } from '../../machines/agent.ts'
import type { AgentMachineInput, AgentTask, StopReason, TaskOutcome, TaskResult } from '../../machines/agent-types.ts'

export interface RecordedReply { taskId: string, result: TaskResult, outcome: TaskOutcome }

let counter = 0

/** A task with sensible defaults. */
export function task (overrides: Partial<AgentTask> = {}): AgentTask {
  counter++
  return { taskId: `t${counter}`, payload: { n: counter }, priority: 0, deadline: Infinity, budget: null, from: 'did:key:zCaller#c', replyTo: 'did:key:zCaller#c', ...overrides }
}

/** Start the agent machine with recording actions and a simulated clock. */
export function startAgent (input: Partial<AgentMachineInput> = {}, logic?: AnyActorLogic) {
  const clock = new SimulatedClock()
  const replies: RecordedReply[] = []
  const started: string[] = []
  const forwarded: string[] = []
  const aborted: Array<{ taskId: string, reason: WireError }> = []
  const restarts: Array<{ restarts: number, delayMs: number }> = []
  const stops: Array<{ reason: StopReason, error?: WireError }> = []
  const depths: number[] = []
  const machine = agentMachine.provide({
    actions: {
      startTask: (_, { task }) => { started.push(task.taskId) },
      taskForwarded: (_, { task }) => { forwarded.push(task.taskId) },
      abortTask: (_, params) => { aborted.push(params) },
      reply: (_, { task, result, outcome }) => { replies.push({ taskId: task.taskId, result, outcome }) },
      agentRestarted: (_, params) => { restarts.push(params) },
      agentStopped: (_, params) => { stops.push(params) },
      queueDepthChanged: (_, { depth }) => { depths.push(depth) }
    },
    ...(logic === undefined ? {} : { actors: { userLogic: logic } })
  })
  const actor = createActor(machine, { clock, input: { agentId: 'did:key:zNode#a', name: 'a', hasLogic: logic !== undefined, ...input } })
  actor.start()
  const send = actor.send.bind(actor)
  return {
    actor,
    clock,
    replies,
    started,
    forwarded,
    aborted,
    restarts,
    stops,
    depths,
    arrive: (t: AgentTask) => { send({ type: 'task.arrive', task: t }); return t },
    done: (taskId: string, output: unknown = null, cost = 0) => { send({ type: 'task.done', taskId, output, cost }) },
    failed: (taskId: string, error: WireError = { code: 'HANDLER_ERROR', message: 'failed', details: { code: 'TASK_FAILED' } }) => { send({ type: 'task.failed', taskId, error }) },
    crash: (taskId: string, message = 'boom') => { send({ type: 'task.crashed', taskId, error: { code: 'HANDLER_ERROR', message } }) },
    cancel: (taskId: string, reason?: WireError) => { send(reason === undefined ? { type: 'task.cancel', taskId } : { type: 'task.cancel', taskId, reason }) },
    stop: (graceMs?: number) => { send(graceMs === undefined ? { type: 'agent.stop' } : { type: 'agent.stop', graceMs }) },
    state: () => actor.getSnapshot().value,
    context: () => actor.getSnapshot().context,
    replyOf: (taskId: string) => replies.find(r => r.taskId === taskId)
  }
}
