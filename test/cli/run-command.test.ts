import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { createNode, TaskError, type ZeroStateNode } from '../../src/index.ts'
import { createHttpApi, type HttpApi } from '../../src/http/http-api.ts'
import { main } from '../../src/cli/main.ts'
import { parseWorkflow } from '../../src/cli/workflow-file.ts'

let node: ZeroStateNode
let api: HttpApi
let dir: string

beforeAll(async () => {
  node = await createNode()
  await node.spawnAgent({
    name: 'counter',
    capabilities: ['count'],
    handle: (task: { input: { text?: string } }, ctx) => {
      if (task.input.text === 'boom') throw new TaskError('cannot count a boom', { retryable: false })
      ctx.reportCost(1)
      return { words: (task.input.text ?? '').split(/\s+/).filter(Boolean).length }
    }
  })
  api = await createHttpApi(node)
  dir = await mkdtemp(join(tmpdir(), 'zs-run-'))
})

afterAll(async () => {
  await api?.close()
  await node?.stop({ timeout: 500 })
  await rm(dir, { recursive: true, force: true })
})

async function cli (...args: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, { out: l => { out.push(l) }, err: l => { err.push(l) }, signal: new AbortController().signal })
  return { code, out, err }
}

async function file (name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

describe('zerostate run', () => {
  it('submits a YAML chain, shows each step and the result, and exits 0', async () => {
    const path = await file('count.yaml', `name: count-words
steps:
  - name: first
    agent_id: "${node.did}#counter"
    task_type: count
    input: { text: "one two three" }
`)
    const { code, out, err } = await cli('run', path, '--node', api.url)
    expect(err).toEqual([])
    expect(code).toBe(0)
    expect(out[0]).toMatch(/^▶ chain "count-words" started as run /)
    expect(out.some(l => /✓ first .* cost 1 counter@/.test(l))).toBe(true)
    expect(out.some(l => /✓ chain "count-words" completed in .*, total cost 1/.test(l))).toBe(true)
    expect(out.join('\n')).toContain('"words": 3')
  })

  it('runs a JSON DAG with --json and exits 1 when it fails', async () => {
    const path = await file('fail.dag.json', JSON.stringify({
      name: 'failing',
      nodes: { ok: { agent_id: `${node.did}#counter`, input: { text: 'a b' } }, bad: { agent_id: `${node.did}#counter`, input: { text: 'boom' }, dependencies: ['ok'] } }
    }))
    const { code, out, err } = await cli('run', path, '--node', api.url, '--json')
    expect(code).toBe(1)
    expect(JSON.parse(out.join('\n'))).toMatchObject({ kind: 'dag', status: 'failed', nodes: { ok: { status: 'succeeded' }, bad: { status: 'failed' } } })
    expect(err.some(l => l.includes('✗ bad'))).toBe(true)
  })

  it('explains an invalid spec without a stack trace and exits 2', async () => {
    const path = await file('bad.json', JSON.stringify({ name: 'bad', steps: [{ name: 'x', task_type: 't' }] }))
    const { code, err } = await cli('run', path, '--node', api.url)
    expect(code).toBe(2)
    expect(err[0]).toMatch(/^error: invalid spec: .*\(INVALID_SPEC, HTTP 400\)/)
    expect(err.join('\n')).toMatch(/- steps\[0\]/)
    expect(err.join('\n')).not.toMatch(/\n\s+at /)
  })

  it('says the node is unreachable and exits 3', async () => {
    const path = await file('ok.json', JSON.stringify({ name: 'x', steps: [{ name: 'a', agent_id: `${node.did}#counter`, task_type: 't' }] }))
    const closed = createServer()
    await new Promise<void>(resolve => { closed.listen(0, '127.0.0.1', resolve) })
    const { port } = closed.address() as AddressInfo
    await new Promise(resolve => { closed.close(resolve) })
    const { code, err } = await cli('run', path, '--node', `http://127.0.0.1:${port}`)
    expect(code).toBe(3)
    expect(err).toEqual(['error: cannot reach the node (ECONNREFUSED)'])
  })

  it('needs a file and --node, and reports missing files', async () => {
    expect((await cli('run', '--node', api.url)).code).toBe(2)
    expect((await cli('run', join(dir, 'missing.json'), '--node', api.url)).err[0]).toMatch(/cannot read .*missing\.json: no such file/)
    expect((await cli('run', join(dir, 'ok.json'))).err[0]).toMatch(/--node <http url> is required/)
  })

  it('prints help for every command', async () => {
    for (const command of ['demo', 'node', 'run']) {
      const { code, out } = await cli(command, '--help')
      expect(code).toBe(0)
      expect(out[0]).toMatch(new RegExp(`^usage: zerostate ${command}`))
    }
    const top = await cli('--help')
    expect(top.out[0]).toMatch(/^usage: zerostate <command>/)
    expect((await cli('frobnicate')).code).toBe(2)
  })
})

describe('workflow files', () => {
  it('tells chains from DAGs, or takes kind explicitly', () => {
    expect(parseWorkflow('{"name":"c","steps":[]}', 'a.json').kind).toBe('chain')
    expect(parseWorkflow('name: d\nnodes: {}\n', 'a.yaml').kind).toBe('dag')
    expect(parseWorkflow('kind: dag\nname: d\nnodes: []\n', 'a.yml')).toEqual({ kind: 'dag', spec: { name: 'd', nodes: [] } })
    expect(() => parseWorkflow('name: x\n', 'a.yaml')).toThrow(/cannot tell a chain from a DAG/)
    expect(() => parseWorkflow('{ nope', 'a.json')).toThrow(/not valid JSON/)
    expect(() => parseWorkflow('- 1\n- 2\n', 'a.yaml')).toThrow(/must hold one object/)
  })
})
