import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { isZeroStateError } from '../../src/errors.ts'
import { startMesh, stopAll } from '../helpers/mesh.ts'

async function codeOf (promise: Promise<unknown>): Promise<string> {
  try { await promise } catch (err) { return isZeroStateError(err) ? err.code : `untyped: ${String(err)}` }
  return 'resolved'
}

describe('stopping a node', () => {
  it('callers with requests in flight get NODE_STOPPED or an answer; stopping twice and spawning after stop are safe', async () => {
    const [a, b] = await startMesh(2)
    const never = { handle: async (_t: unknown, ctx: { signal: AbortSignal }) => await new Promise(resolve => { ctx.signal.addEventListener('abort', () => { resolve('aborted') }) }) }
    const local = await a!.spawnAgent({ name: 'slow', capabilities: ['slow'], ...never })
    const remote = await b!.spawnAgent({ name: 'slow', capabilities: ['slow'], ...never })
    const calls = [
      codeOf(a!.bus.request(local.id, 1, { timeout: 20_000 })),
      codeOf(a!.bus.request(remote.id, 1, { timeout: 20_000, delivery: 'EXACTLY_ONCE' })),
      codeOf(a!.coordination.waitAtBarrier('never', 2))
    ]
    const chain = a!.chains.execute({ name: 'c', steps: [{ name: 's', agentId: remote.id, taskType: 't' }] })
    await new Promise(resolve => { setImmediate(resolve) })
    await Promise.all([a!.stop({ timeout: 100 }), a!.stop({ timeout: 100 })])
    const codes = await Promise.all(calls)
    for (const code of codes) expect(code).not.toMatch(/^untyped|^resolved$/)
    expect(['NODE_STOPPED', 'AGENT_STOPPED']).toContain(codes[0])
    expect((await chain).status).toBe('cancelled')
    expect(await codeOf(a!.spawnAgent({ name: 'late', handle: () => 1 }))).toBe('NODE_STOPPED')
    expect(await codeOf(a!.bus.request(remote.id, 1))).toBe('NODE_STOPPED')
    await stopAll([a!, b!])
  })

  it('leaves nothing that keeps the process alive', async () => {
    const script = [
      "import { createNode } from './src/index.ts'",
      'const a = await createNode()',
      'const b = await createNode({ bootstrap: a.multiaddrs.map(String) })',
      "const agent = await b.spawnAgent({ name: 'echo', capabilities: ['echo'], handle: t => t })",
      'await a.bus.request(agent.id, 1, { timeout: 5000 })',
      'await a.coordination.setState("k", 1)',
      'await Promise.all([a.stop(), b.stop()])',
      "process.stdout.write('stopped\\n')"
    ].join('\n')
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const stoppedAt = new Promise<number>(resolve => { child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('stopped')) resolve(Date.now()) }) })
    const exit = await new Promise<number | null>(resolve => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(null) }, 15_000)
      child.on('exit', code => { clearTimeout(timer); resolve(code) })
    })
    expect(exit, out).toBe(0)
    expect(Date.now() - await stoppedAt).toBeLessThan(3000)
  }, 20_000)
})
