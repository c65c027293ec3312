import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { parseHttpFlag } from '../../src/cli/node-command.ts'
import { startCli, type CliProcess } from './cli-process.ts'

let running: CliProcess | undefined
afterEach(() => { running?.child.kill('SIGKILL'); running = undefined })

describe('zerostate node', () => {
  it('answers an in-flight request, then exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zs-node-'))
    const keyFile = join(dir, 'node.key')
    try {
      running = startCli(['node', '--http', '0', '--agents', 'test/cli/fixtures/slow-agent.ts', '--key', keyFile])
      const ready = JSON.parse(await running.waitForStdout(line => line.includes('"ready"'))) as { http: string, did: string, peer_id: string, agents: string[] }
      expect(ready.agents).toEqual([`${ready.did}#slow`])
      const answer = fetch(`${ready.http}/v1/agents/${encodeURIComponent(`${ready.did}#slow`)}/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payload: { ms: 600 } })
      })
      await running.waitForStderr(line => line === 'task-started')
      running.child.kill('SIGTERM')
      const res = await answer
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ payload: { done: true, ms: 600 } })
      expect(await running.exited).toEqual({ code: 0, signal: null })
      expect(running.stdout.some(line => line.includes('"stopped"'))).toBe(true)

      // The key file keeps the identity: a second start has the same peer id.
      expect((await readFile(keyFile, 'utf8')).length).toBeGreaterThan(20)
      running = startCli(['node', '--key', keyFile])
      const again = JSON.parse(await running.waitForStdout(line => line.includes('"ready"'))) as { peer_id: string, http: string | null }
      expect(again.peer_id).toBe(ready.peer_id)
      expect(again.http).toBeNull()
      running.child.kill('SIGINT')
      expect((await running.exited).code).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('prints a human error and exits 2 for a bad flag', async () => {
    running = startCli(['node', '--http', 'not-a-port'])
    const { code } = await running.exited
    expect(code).toBe(2)
    expect(running.stderr.join('\n')).toMatch(/^error: --http takes \[host:\]port/m)
    expect(running.stderr.join('\n')).not.toMatch(/\n\s+at /)
  })

  it('runs through the bin launcher (npx zerostate)', async () => {
    const launcher = spawnSync(process.execPath, ['bin/zerostate.js', 'node', '--help'], { encoding: 'utf8' })
    expect(launcher.status).toBe(0)
    expect(launcher.stdout).toMatch(/^usage: zerostate node/)
  })

  it('parses --http as port or host:port', () => {
    expect(parseHttpFlag('8080')).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(parseHttpFlag('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 })
    expect(parseHttpFlag('[::1]:9000')).toEqual({ host: '::1', port: 9000 })
    expect(() => parseHttpFlag('99999')).toThrow(/--http/)
  })
})
