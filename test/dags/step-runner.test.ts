import { describe, expect, it } from 'vitest'
import { createActor, sendTo, setup, type AnyEventObject } from 'xstate'
import { createStepAttempt } from '../../actors/execute-step.ts'
import { createStepRunner, type StepRunnerCommand } from '../../actors/step-runner.ts'
import { AbortedError } from '../../src/errors.ts'
import type { StepExecutor, StepRequest } from '../../src/workflow/step-executor.ts'
import { flush } from './dag-harness.ts'

const request = (stepId: string, timeoutMs?: number): StepRequest => ({ runId: 'r', stepId, attempt: 1, taskType: 't', input: {}, ...(timeoutMs === undefined ? {} : { timeoutMs }) })

/** A parent that invokes the runner, forwards commands to it and records what it reports. */
function harness (executor: StepExecutor) {
  const reports: AnyEventObject[] = []
  const parent = createActor(setup({
    types: {} as { events: { type: 'cmd', command: StepRunnerCommand } | { type: 'halt' } | { type: 'step.done' } },
    actors: { stepRunner: createStepRunner(createStepAttempt(executor)) }
  }).createMachine({
    initial: 'on',
    states: {
      on: {
        invoke: { id: 'steps', src: 'stepRunner' },
        on: {
          cmd: { actions: sendTo('steps', ({ event }) => event.command) },
          halt: 'off',
          'step.*': { actions: ({ event }) => { reports.push(event) } }
        }
      },
      off: {}
    }
  })).start()
  return { parent, reports }
}

describe('step runner', () => {
  it('runs each attempt and reports its outcome by key', async () => {
    const { parent, reports } = harness(async req => ({ agentId: 'a', output: req.stepId, cost: 1 }))
    parent.send({ type: 'cmd', command: { type: 'step.start', key: 'k1', request: request('x') } })
    parent.send({ type: 'cmd', command: { type: 'step.start', key: 'k2', request: request('y') } })
    await flush()
    expect(reports).toEqual([
      { type: 'step.done', key: 'k1', attempt: expect.objectContaining({ ok: true, output: 'x', agentId: 'a', cost: 1 }) },
      { type: 'step.done', key: 'k2', attempt: expect.objectContaining({ ok: true, output: 'y' }) }
    ])
  })

  it('step.stop aborts one attempt with a timeout and nothing is reported for it; stopping the runner aborts the rest', async () => {
    const aborted: string[] = []
    const { parent, reports } = harness(async (req, signal) => await new Promise((_, reject) => {
      signal.addEventListener('abort', () => { aborted.push(req.stepId); reject(new AbortedError()) })
    }))
    parent.send({ type: 'cmd', command: { type: 'step.start', key: 'k1', request: request('x', 100) } })
    parent.send({ type: 'cmd', command: { type: 'step.start', key: 'k2', request: request('y') } })
    parent.send({ type: 'cmd', command: { type: 'step.stop', key: 'k1' } })
    await flush()
    expect(aborted).toEqual(['x'])
    expect(reports).toEqual([])
    parent.send({ type: 'halt' })
    await flush()
    expect(aborted).toEqual(['x', 'y'])
    expect(reports).toEqual([])
  })

  it('attempts without a timeout share one signal; a stopped one is not reported even when it answers', async () => {
    const signals: AbortSignal[] = []
    const answers: Array<() => void> = []
    const { parent, reports } = harness(async (req, signal) => {
      signals.push(signal)
      return await new Promise(resolve => { answers.push(() => { resolve({ agentId: 'a', output: req.stepId, cost: 0 }) }) })
    })
    for (const key of ['k1', 'k2', 'k3']) parent.send({ type: 'cmd', command: { type: 'step.start', key, request: request(key) } })
    await flush()
    expect(new Set(signals).size).toBe(1)
    parent.send({ type: 'cmd', command: { type: 'step.stop', key: 'k2' } })
    for (const answer of answers) answer()
    await flush()
    expect(reports.map(r => r.key)).toEqual(['k1', 'k3'])
    parent.send({ type: 'halt' })
    expect(signals[0]?.aborted).toBe(true)
  })

  it('an executor that throws instead of rejecting fails the attempt', async () => {
    const { parent, reports } = harness(() => { throw new Error('boom') })
    parent.send({ type: 'cmd', command: { type: 'step.start', key: 'k', request: request('x') } })
    await flush()
    expect(reports).toEqual([{ type: 'step.done', key: 'k', attempt: expect.objectContaining({ ok: false, error: expect.objectContaining({ message: 'boom' }) }) }])
  })
})
