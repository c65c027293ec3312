import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { sharedStateMachine, type SharedStateEmitted } from '../../machines/shared-state.ts'

function start () {
  const actor = createActor(sharedStateMachine, { input: { key: 'k' } }).start()
  const emitted: SharedStateEmitted[] = []
  actor.on('*', e => { emitted.push(e) })
  return { actor, emitted }
}

describe('shared-state machine', () => {
  it('creates a key only when the expected version is 0', () => {
    const { actor, emitted } = start()
    actor.send({ type: 'SET', ticket: 't1', value: 1, expectedVersion: 3, caller: 'a', now: 5 })
    actor.send({ type: 'SET', ticket: 't2', value: 1, expectedVersion: 0, caller: 'a', now: 5 })
    expect(emitted).toEqual([
      { type: 'conflict', ticket: 't1', key: 'k', expected: 3, currentVersion: 0 },
      { type: 'committed', ticket: 't2', key: 'k', state: { value: 1, version: 1, updatedBy: 'a', updatedAt: 5 } }
    ])
    expect(actor.getSnapshot().value).toBe('present')
  })

  it('compare-and-set succeeds only at the current version and versions increase by one', () => {
    const { actor, emitted } = start()
    actor.send({ type: 'SET', ticket: 't1', value: 'x', expectedVersion: 0, caller: 'a', now: 1 })
    actor.send({ type: 'SET', ticket: 't2', value: 'y', expectedVersion: 1, caller: 'b', now: 2 })
    actor.send({ type: 'SET', ticket: 't3', value: 'z', expectedVersion: 1, caller: 'c', now: 3 })
    expect(emitted.map(e => e.type === 'committed' ? e.state.version : `conflict@${e.currentVersion}`)).toEqual([1, 2, 'conflict@2'])
    expect(actor.getSnapshot().context.current).toEqual({ value: 'y', version: 2, updatedBy: 'b', updatedAt: 2 })
  })
})
