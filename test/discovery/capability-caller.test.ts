import { describe, expect, it } from 'vitest'
import type { Reply } from '../../src/bus-types.ts'
import { DirectoryTable, type DirectoryEntry } from '../../src/discovery/agent-directory.ts'
import { createCapabilityCaller } from '../../src/discovery/capability-caller.ts'
import { createDiscoveryMetrics } from '../../src/discovery/discovery-metrics.ts'
import type { AnnouncedAgent } from '../../src/discovery/heartbeat.ts'
import { InFlightRequests } from '../../src/discovery/in-flight.ts'
import { createSelectorRegistry } from '../../src/discovery/selectors.ts'
import { ZeroStateError, isZeroStateError } from '../../src/errors.ts'
import { Registry } from 'prom-client'

const NODE = 'did:key:z6MkNode'
const id = (name: string): string => `${NODE}#${name}`

function setup (agents: Array<[string, string[]]>, now: () => number = () => 2000) {
  const table = new DirectoryTable({ missedHeartbeats: 3 })
  const announced: AnnouncedAgent[] = agents.map(([name, capabilities]) => ({ id: id(name), capabilities, load: { running: 0, queued: 0, concurrency: 1 } }))
  table.apply({ nodeDid: NODE, seq: 1, intervalMs: 1000, addrs: [], agents: announced }, 1000, false)
  const inFlight = new InFlightRequests()
  const selectors = createSelectorRegistry()
  const registry = new Registry()
  const caller = createCapabilityCaller({
    directory: table,
    selectors,
    inFlight,
    load: (e: DirectoryEntry) => ({ ...e.load, queued: e.load.queued + inFlight.sentSince(e.id, e.lastSeen) }),
    metrics: createDiscoveryMetrics(registry),
    forget: agentId => { table.remove(agentId) },
    random: () => 0,
    now
  })
  return { table, selectors, caller, registry }
}

const ok = (agentId: string, payload: unknown = 'ok', cost = 0): Reply => ({ payload, cost, agentId })
const gone = (code: 'AGENT_NOT_FOUND' | 'AGENT_STOPPED' | 'DELIVERY_FAILED'): ZeroStateError => new ZeroStateError(code, 'gone')

describe('capability caller', () => {
  it('sends only to an agent with every required capability', async () => {
    const { caller } = setup([['a', ['ocr']], ['b', ['ocr', 'pdf']]])
    const sent: string[] = []
    const reply = await caller({ capability: 'ocr', capabilities: ['pdf'] }, async to => { sent.push(to); return ok(to) }, {})
    expect(reply.agentId).toBe(id('b'))
    expect(sent).toEqual([id('b')])
  })

  it('avoids excluded agents unless no other agent qualifies', async () => {
    const { caller } = setup([['a', ['x']], ['b', ['x']]])
    const send = async (to: string): Promise<Reply> => ok(to)
    expect((await caller({ capability: 'x', strategy: 'first', exclude: [id('a')] }, send, {})).agentId).toBe(id('b'))
    expect((await caller({ capability: 'x', strategy: 'first', exclude: [id('a'), id('b')] }, send, {})).agentId).toBe(id('a'))
  })

  it('does not try another candidate once the request\'s time is up: the gone agent is named in the error', async () => {
    let clock = 2000
    const { caller } = setup([['a', ['x']], ['b', ['x']]], () => clock)
    const sent: string[] = []
    const err = await caller({ capability: 'x', strategy: 'first' }, async to => {
      sent.push(to)
      clock += 400 // the message expired undelivered at the request's deadline
      throw Object.assign(gone('DELIVERY_FAILED'), { details: { agentId: to } })
    }, { timeout: 400 }).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'DELIVERY_FAILED')).toBe(true)
    expect(sent).toEqual([id('a')])
    expect((err as ZeroStateError).details?.agentId).toBe(id('a'))
  })

  it('tries another candidate when the chosen agent is gone, and forgets one that was not found', async () => {
    const { caller, table } = setup([['a', ['x']], ['b', ['x']], ['c', ['x']]])
    const sent: string[] = []
    const reply = await caller({ capability: 'x', strategy: 'first' }, async to => {
      sent.push(to)
      if (to === id('a')) throw gone('AGENT_NOT_FOUND')
      if (to === id('b')) throw gone('AGENT_STOPPED')
      return ok(to)
    }, {})
    expect(sent).toEqual([id('a'), id('b'), id('c')])
    expect(reply.agentId).toBe(id('c'))
    expect(table.get(id('a'))).toBeUndefined()
    expect(table.get(id('b'))).toBeDefined()
  })

  it('fails with NO_AGENT when no agent offers the capability, or every one was gone', async () => {
    const { caller } = setup([['a', ['x']]])
    await expect(caller({ capability: 'y' }, async to => ok(to), {})).rejects.toSatisfy(err => isZeroStateError(err, 'NO_AGENT'))
    const err: unknown = await caller({ capability: 'x' }, async () => { throw gone('DELIVERY_FAILED') }, {}).catch((e: unknown) => e)
    expect(isZeroStateError(err, 'NO_AGENT')).toBe(true)
    expect((err as ZeroStateError).details).toMatchObject({ tried: [id('a')] })
    expect(isZeroStateError((err as ZeroStateError).cause, 'DELIVERY_FAILED')).toBe(true)
  })

  it('passes other failures through without trying another agent', async () => {
    const { caller } = setup([['a', ['x']], ['b', ['x']]])
    const sent: string[] = []
    await expect(caller({ capability: 'x' }, async to => { sent.push(to); throw new ZeroStateError('TIMEOUT', 'slow') }, {}))
      .rejects.toSatisfy(err => isZeroStateError(err, 'TIMEOUT'))
    expect(sent).toHaveLength(1)
  })

  it('refuses an unknown strategy and a malformed target', async () => {
    const { caller } = setup([['a', ['x']]])
    await expect(caller({ capability: 'x', strategy: 'nope' }, async to => ok(to), {})).rejects.toSatisfy(err => isZeroStateError(err, 'INVALID_ARGUMENT'))
    await expect(caller({ capability: '' }, async to => ok(to), {})).rejects.toSatisfy(err => isZeroStateError(err, 'INVALID_ARGUMENT'))
    await expect(caller({ capability: 'x', exclude: 'a' as never }, async to => ok(to), {})).rejects.toSatisfy(err => isZeroStateError(err, 'INVALID_ARGUMENT'))
  })

  it('is aborted by the request signal before sending', async () => {
    const { caller } = setup([['a', ['x']]])
    await expect(caller({ capability: 'x' }, async to => ok(to), { signal: AbortSignal.abort() })).rejects.toSatisfy(err => isZeroStateError(err, 'ABORTED'))
  })

  it('a custom selector sees the task and budget, and a cost above its limit is COST_EXCEEDS_BID with the output', async () => {
    const { caller, selectors } = setup([['a', ['x']]])
    const seen: unknown[] = []
    selectors.register('capped', (candidates, ctx) => { seen.push(ctx.task, ctx.budget); ctx.limitCost(5); return candidates[0] })
    const err: unknown = await caller({ capability: 'x', strategy: 'capped' }, async to => ok(to, 'result', 6), { budget: 10 }, { job: 1 }).catch((e: unknown) => e)
    expect(seen).toEqual([{ job: 1 }, 10])
    expect(isZeroStateError(err, 'COST_EXCEEDS_BID')).toBe(true)
    expect((err as ZeroStateError).details).toMatchObject({ cost: 6, bid: 5, output: 'result' })
    expect((await caller({ capability: 'x', strategy: 'capped' }, async to => ok(to, 'fine', 5), {})).payload).toBe('fine')
  })

  it('least-loaded spreads concurrent requests evenly using the requests in flight', async () => {
    const { caller } = setup([['a', ['x']], ['b', ['x']], ['c', ['x']]])
    const pending: Array<() => void> = []
    const counts = new Map<string, number>()
    const calls = Array.from({ length: 30 }, async () => await caller({ capability: 'x' }, async to => {
      counts.set(to, (counts.get(to) ?? 0) + 1)
      await new Promise<void>(resolve => { pending.push(resolve) })
      return ok(to)
    }, {}))
    for (const resolve of pending) resolve()
    await Promise.all(calls)
    expect([...counts.values()]).toEqual([10, 10, 10])
  })

  it('counts selections by strategy and outcome', async () => {
    const { caller, registry } = setup([['a', ['x']]])
    await caller({ capability: 'x', strategy: 'first' }, async to => ok(to), {})
    await caller({ capability: 'y', strategy: 'first' }, async to => ok(to), {}).catch(() => {})
    const text = await registry.metrics()
    expect(text).toMatch(/zerostate_selections_total\{strategy="first",outcome="sent"\} 1/)
    expect(text).toMatch(/zerostate_selections_total\{strategy="first",outcome="no_agent"\} 1/)
  })
})
