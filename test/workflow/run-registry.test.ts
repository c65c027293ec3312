import { describe, expect, it } from 'vitest'
import { assign, setup, type ActorRefFrom } from 'xstate'
import { createStandaloneHost } from '../../src/actor-host.ts'
import { isZeroStateError } from '../../src/errors.ts'
import { createRunRegistry } from '../../src/workflow/run-registry.ts'

type Status = 'done' | 'cancelled'
interface Result { id: string, status: Status, reason?: string }

/** A run that waits for `finish` or `cancel`. */
const runMachine = setup({
  types: {} as { context: { id: string, reason?: string }, input: { id: string }, events: { type: 'finish' } | { type: 'cancel', reason?: string } }
}).createMachine({
  context: ({ input }) => ({ id: input.id }),
  initial: 'running',
  states: {
    running: {
      on: {
        finish: 'done',
        cancel: { target: 'cancelled', actions: assign({ reason: ({ event }) => event.reason }) }
      }
    },
    done: { type: 'final' },
    cancelled: { type: 'final' }
  }
})
type RunActor = ActorRefFrom<typeof runMachine>

function registry (options: { keepFinished?: number, keepActors?: boolean } = {}) {
  const host = createStandaloneHost()
  const runs = createRunRegistry<RunActor, Result, Status>({
    host,
    kind: 'test',
    ...options,
    cancel: (actor, reason) => { actor.send(reason === undefined ? { type: 'cancel' } : { type: 'cancel', reason }) }
  })
  const launch = (id: string, ended?: (actor: RunActor) => Result) => runs.launch(id, hostId => host.spawn(runMachine, { id: hostId, input: { id } }), ended ?? (actor => {
    const { value, context } = actor.getSnapshot()
    return { id, status: value === 'done' ? 'done' : 'cancelled', ...(context.reason === undefined ? {} : { reason: context.reason }) }
  }))
  return { runs, launch }
}

describe('run registry', () => {
  it('follows a run from running to its remembered result, and refuses a second run with a running id', async () => {
    const { runs, launch } = registry()
    const run = launch('r1')
    expect(runs.get('r1')).toEqual({ id: 'r1', status: 'running', actor: run.actor })
    expect(() => launch('r1')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    run.actor.send({ type: 'finish' })
    await expect(run.result).resolves.toEqual({ id: 'r1', status: 'done' })
    expect(runs.get('r1')).toEqual({ id: 'r1', status: 'done', result: { id: 'r1', status: 'done' } })
    expect(launch('r1').id).toBe('r1') // a finished id may be used again
  })

  it('keeps the stopped actors of finished runs only when asked, and forgets the oldest past keepFinished', async () => {
    const { runs, launch } = registry({ keepActors: true, keepFinished: 1 })
    const a = launch('a')
    const b = launch('b')
    a.actor.send({ type: 'finish' })
    b.actor.send({ type: 'finish' })
    await Promise.all([a.result, b.result])
    expect(runs.get('a')).toBeUndefined()
    expect(runs.get('b')).toMatchObject({ status: 'done', actor: b.actor })
  })

  it('cancels on request, on the caller signal and on stop; refuses an aborted signal before starting', async () => {
    const { runs, launch } = registry()
    const a = launch('a')
    expect(runs.cancel('a', 'enough')).toBe(true)
    expect(runs.cancel('nope')).toBe(false)
    await expect(a.result).resolves.toEqual({ id: 'a', status: 'cancelled', reason: 'enough' })
    const controller = new AbortController()
    const executed = runs.execute(() => launch('b'), controller.signal)
    controller.abort()
    await expect(executed).resolves.toEqual({ id: 'b', status: 'cancelled', reason: 'aborted by the caller' })
    const c = launch('c')
    await runs.stop()
    await expect(c.result).resolves.toMatchObject({ status: 'cancelled', reason: 'the node is stopping' })
    let started = false
    await expect(runs.execute(() => { started = true; return launch('d') }, AbortSignal.abort())).rejects.toSatisfy(err => isZeroStateError(err, 'ABORTED'))
    expect(started).toBe(false)
  })

  it('rejects the result with what ended throws, and does not remember the run', async () => {
    const { runs, launch } = registry()
    const failure = new Error('no result')
    const run = launch('x', () => { throw failure })
    run.actor.send({ type: 'finish' })
    await expect(run.result).rejects.toBe(failure)
    expect(runs.get('x')).toBeUndefined()
  })
})
