import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createNode, TaskError, type ZeroStateNode } from '../../src/index.ts'
import { createHttpApi, type HttpApi } from '../../src/http/http-api.ts'
import { followRun, type RunEvent } from '../../src/cli/sse-client.ts'
import type { RunView } from '../../src/http/run-view.ts'

let node: ZeroStateNode
let api: HttpApi
let upperId: string
let gate: { open: () => void } | undefined

async function json (path: string, init: RequestInit = {}): Promise<{ status: number, body: any, headers: Headers }> {
  const res = await fetch(`${api.url}${path}`, init)
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers }
}

function post (path: string, body: unknown): Promise<{ status: number, body: any, headers: Headers }> {
  return json(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

const chainSpec = () => ({
  name: 'text-pipeline',
  steps: [
    { name: 'shout', agent_id: upperId, task_type: 'upper', input: { text: 'mesh' } },
    { name: 'again', agent_id: upperId, task_type: 'upper', input_mapping: { 'shout.text': 'text' } }
  ]
})

beforeAll(async () => {
  node = await createNode()
  const upper = await node.spawnAgent({
    name: 'upper',
    capabilities: ['text'],
    handle: (task: { taskType?: string, input?: { text?: string }, text?: string }, ctx) => {
      const text = task.input?.text ?? task.text ?? ''
      if (text === 'fail') throw new TaskError('cannot shout "fail"', { code: 'REFUSED', retryable: false })
      ctx.reportCost(0.5)
      return { text: `${text.toUpperCase()}!` }
    }
  })
  upperId = upper.id
  await node.spawnAgent({
    name: 'gated',
    capabilities: ['wait'],
    handle: async (_task, ctx) => await new Promise(resolve => {
      gate = { open: () => { resolve({ opened: true }) } }
      ctx.signal.addEventListener('abort', () => { resolve({ aborted: true }) }, { once: true })
    })
  })
  api = await createHttpApi(node, { port: 0, bodyLimit: 64 * 1024 })
})

afterAll(async () => {
  await api?.close()
  await node?.stop({ timeout: 500 })
})

describe('HTTP API', () => {
  it('answers /healthz with the node identity', async () => {
    const { status, body } = await json('/healthz')
    expect(status).toBe(200)
    expect(body).toMatchObject({ status: 'ok', peer_id: node.peerId, did: node.did })
    expect(body.multiaddrs[0]).toContain('/p2p/')
  })

  it('runs a seed-style chain with ?wait=true and answers its result', async () => {
    const { status, body } = await post('/v1/chains?wait=true', chainSpec())
    expect(status).toBe(200)
    expect(body).toMatchObject({ kind: 'chain', name: 'text-pipeline', status: 'completed', total_cost: 1, output: { text: 'MESH!!' } })
    expect(body.steps.map((s: { id: string, status: string, agent_id: string }) => [s.id, s.status, s.agent_id])).toEqual([['shout', 'succeeded', upperId], ['again', 'succeeded', upperId]])
    const again = await json(`/v1/runs/${encodeURIComponent(body.id)}`)
    expect(again.body).toMatchObject({ id: body.id, status: 'completed' })
  })

  it('starts a chain without waiting, then streams its state changes in order ending with the result', async () => {
    const started = await post('/v1/chains', chainSpec())
    expect(started.status).toBe(202)
    expect(started.body).toMatchObject({ kind: 'chain', status: 'running', links: { events: `/v1/runs/${started.body.id}/events` } })
    const events: Array<RunEvent<RunView>> = []
    for await (const e of followRun<RunView>(api.url, started.body.id)) events.push(e)
    expect(events.at(-1)).toMatchObject({ event: 'result', data: { status: 'completed', output: { text: 'MESH!!' } } })
    const states = events.filter(e => e.event === 'state').map(e => e.data)
    expect(states.at(-1)?.status).toBe('completed')
    const order = ['pending', 'running', 'succeeded']
    for (const stepIndex of [0, 1]) {
      const seen = states.map(s => order.indexOf(s.steps?.[stepIndex]?.status ?? 'pending'))
      expect(seen).toEqual([...seen].sort((a, b) => a - b))
    }
    expect(states.every(s => s.steps?.every(step => step.output === undefined))).toBe(true)
  })

  it('runs a DAG from the seed JSON (nodes as a map) and reports every node', async () => {
    const { status, body } = await post('/v1/dags?wait=true', {
      name: 'fan-out',
      max_parallelism: 2,
      nodes: {
        a: { agent_id: upperId, task_type: 'upper', input: { text: 'a' } },
        b: { agent_id: upperId, task_type: 'upper', input: { text: 'b' } },
        join: { agent_id: upperId, task_type: 'upper', dependencies: ['a', 'b'], input_mapping: { 'a.text': 'text' } }
      }
    })
    expect(status).toBe(200)
    expect(body).toMatchObject({ kind: 'dag', status: 'completed', outputs: { join: { text: 'A!!' } }, total_cost: 1.5 })
    expect(Object.keys(body.nodes).sort()).toEqual(['a', 'b', 'join'])
    expect(body.nodes.join.dependencies).toBeUndefined()
  })

  it('reports a failed chain as a result with status failed', async () => {
    const { status, body } = await post('/v1/chains?wait=true', { name: 'bad', steps: [{ name: 's', agent_id: upperId, task_type: 'upper', input: { text: 'fail' } }] })
    expect(status).toBe(200)
    expect(body).toMatchObject({ status: 'failed', error: { code: 'STEP_FAILED' } })
  })

  it('cancels a running DAG with DELETE, and answers 409 once it ended', async () => {
    const gatedId = `${node.did}#gated`
    const started = await post('/v1/dags', { name: 'waits', nodes: [{ id: 'w', agent_id: gatedId, task_type: 'wait' }] })
    expect(started.status).toBe(202)
    const path = `/v1/runs/${encodeURIComponent(started.body.id)}`
    const running = await json(path)
    expect(running.body).toMatchObject({ kind: 'dag', status: 'running' })
    const cancelled = await json(path, { method: 'DELETE' })
    expect(cancelled.status).toBe(202)
    const events: Array<RunEvent<RunView>> = []
    for await (const e of followRun<RunView>(api.url, started.body.id)) events.push(e)
    expect(events.at(-1)).toMatchObject({ event: 'result', data: { status: 'cancelled' } })
    const again = await json(path, { method: 'DELETE' })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('RUN_FINISHED')
    gate?.open()
  })

  it('sends a request to an agent and answers its payload and cost', async () => {
    const { status, body } = await post(`/v1/agents/${encodeURIComponent(upperId)}/requests`, { payload: { text: 'hi' }, timeout: 5000 })
    expect(status).toBe(200)
    expect(body).toEqual({ agent_id: upperId, payload: { text: 'HI!' }, cost: 0.5 })
  })

  it('lists the agents of the directory and answers one entry', async () => {
    await vi.waitFor(async () => {
      const { status, body } = await json('/v1/agents')
      expect(status).toBe(200)
      expect(body.agents.map((a: { id: string }) => a.id)).toContain(upperId)
    })
    const one = await json(`/v1/agents/${encodeURIComponent(upperId)}`)
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ id: upperId, capabilities: ['text'] })
    const none = await json(`/v1/agents/${encodeURIComponent(`${node.did}#ghost`)}`)
    expect(none.status).toBe(404)
    expect(none.body.code).toBe('AGENT_NOT_FOUND')
  })

  it('answers a malformed URL with a JSON 400 error', async () => {
    const res = await fetch(`${api.url}/v1/runs/%E0%A4%A`)
    expect(res.status).toBe(400)
    const body = await res.json() as { code: string, message: string }
    expect(typeof body.code).toBe('string')
    expect(typeof body.message).toBe('string')
  })

  it('serves Prometheus text at /metrics', async () => {
    const res = await fetch(`${api.url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    const samples = text.split('\n').filter(line => line !== '' && !line.startsWith('#'))
    expect(samples.length).toBeGreaterThan(0)
    for (const line of samples) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+|NaN|[+-]Inf$/)
    expect(text).toMatch(/^zerostate_chain_executions_total [1-9]/m)
  })

  describe('errors', () => {
    it.each([
      ['invalid JSON', () => json('/v1/chains', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' }), 400, 'INVALID_JSON'],
      ['an invalid chain spec', () => post('/v1/chains', { name: 'x', steps: [{ name: 'a', task_type: 't' }] }), 400, 'INVALID_SPEC'],
      ['a DAG with a cycle', () => post('/v1/dags', { name: 'loop', nodes: { a: { agent_id: upperId, dependencies: ['b'] }, b: { agent_id: upperId, dependencies: ['a'] } } }), 400, 'CYCLE'],
      ['a body that is not an object', () => post('/v1/dags', [1, 2]), 400, 'INVALID_ARGUMENT'],
      ['an unknown run', () => json('/v1/runs/nope'), 404, 'RUN_NOT_FOUND'],
      ['events of an unknown run', () => json('/v1/runs/nope/events'), 404, 'RUN_NOT_FOUND'],
      ['cancelling an unknown run', () => json('/v1/runs/nope', { method: 'DELETE' }), 404, 'RUN_NOT_FOUND'],
      ['a request to an unknown agent', () => post(`/v1/agents/${encodeURIComponent(`${node.did}#ghost`)}/requests`, { payload: 1 }), 404, 'AGENT_NOT_FOUND'],
      ['an unknown route', () => json('/v2/everything'), 404, 'NOT_FOUND'],
      ['an oversized body', () => post('/v1/chains', { name: 'big', steps: [], pad: 'x'.repeat(100 * 1024) }), 413, 'PAYLOAD_TOO_LARGE']
    ])('answers %s with the right status and a JSON error', async (_what, send, status, code) => {
      const res = await send()
      expect(res.status).toBe(status)
      expect(res.body).toMatchObject({ code, message: expect.any(String), details: expect.any(Object) })
      const health = await json('/healthz')
      expect(health.status).toBe(200)
    })

    it('names the problem path of an invalid spec in details', async () => {
      const { body } = await post('/v1/chains', { name: 'x', steps: [{ name: 'a', task_type: 't' }] })
      expect(body.details.issues[0].path).toMatch(/^steps\[0\]/)
    })
  })
})
