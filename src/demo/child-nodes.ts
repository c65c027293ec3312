/**
 * The demo's mesh: each node is its own OS process (`zerostate node`), whose
 * ready line on stdout tells the parent its peer id, addresses and HTTP URL.
 * Every child is stopped (SIGTERM, then SIGKILL) when the demo ends, fails
 * or is interrupted, and killed if the parent exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url))

/** A running child node, from its ready line. */
export interface ChildNode {
  label: string
  pid: number
  peerId: string
  did: string
  multiaddrs: string[]
  http: string
  agents: string[]
  /** Milliseconds from spawn to ready. */
  startMs: number
}

export interface StartChildOptions {
  label: string
  /** Agents module path (absolute). */
  agents: string
  bootstrap?: string[]
  coordinator?: string
  logLevel?: string
  /** Milliseconds to wait for the ready line. Default 30 000. */
  timeout?: number
  signal?: AbortSignal
}

/** The child processes of one demo run. */
export class ChildNodes {
  private readonly processes = new Map<string, ChildProcess>()
  private readonly killOnExit = (): void => { for (const child of this.processes.values()) child.kill('SIGKILL') }

  constructor () {
    process.on('exit', this.killOnExit)
  }

  /** Spawn `zerostate node --http 0 ...` and wait for its ready line. */
  async start (options: StartChildOptions): Promise<ChildNode> {
    const args = ['--import', import.meta.resolve('tsx'), MAIN, 'node', '--http', '0', '--agents', options.agents, '--log-level', options.logLevel ?? 'warn']
    for (const addr of options.bootstrap ?? []) args.push('--bootstrap', addr)
    if (options.coordinator !== undefined) args.push('--coordinator', options.coordinator)
    const startedAt = Date.now()
    const env: NodeJS.ProcessEnv = { ...process.env }
    delete env.ZEROSTATE_CLI_MAIN
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    this.processes.set(options.label, child)
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000) })
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    return await new Promise<ChildNode>((resolve, reject) => {
      const fail = (why: string): void => {
        cleanup()
        reject(new Error(`${options.label} did not start: ${why}${stderr.trim() === '' ? '' : `\n${stderr.trim()}`}`))
      }
      const timer = setTimeout(() => { fail(`no ready line within ${options.timeout ?? 30_000} ms`) }, options.timeout ?? 30_000)
      const onExit = (code: number | null, sig: string | null): void => { fail(`exited with ${code ?? sig}`) }
      const onAbort = (): void => { fail('interrupted') }
      const cleanup = (): void => {
        clearTimeout(timer)
        child.off('exit', onExit)
        options.signal?.removeEventListener('abort', onAbort)
      }
      child.once('exit', onExit)
      options.signal?.addEventListener('abort', onAbort, { once: true })
      lines.on('line', line => {
        let ready: Record<string, unknown>
        try { ready = JSON.parse(line) as Record<string, unknown> } catch { return }
        if (ready.event !== 'ready') return
        cleanup()
        resolve({
          label: options.label,
          pid: child.pid ?? -1,
          peerId: String(ready.peer_id),
          did: String(ready.did),
          multiaddrs: (ready.multiaddrs as string[]) ?? [],
          http: String(ready.http),
          agents: (ready.agents as string[]) ?? [],
          startMs: Date.now() - startedAt
        })
      })
    })
  }

  /** SIGTERM every child, SIGKILL those still running after `graceMs`; resolves with each exit code. */
  async stopAll (graceMs = 5000): Promise<Record<string, number | string>> {
    const codes: Record<string, number | string> = {}
    await Promise.all([...this.processes.entries()].map(async ([label, child]) => {
      codes[label] = await stopChild(child, graceMs)
      this.processes.delete(label)
    }))
    process.off('exit', this.killOnExit)
    return codes
  }
}

async function stopChild (child: ChildProcess, graceMs: number): Promise<number | string> {
  if (child.exitCode !== null) return child.exitCode
  if (child.signalCode !== null) return child.signalCode
  const exited = new Promise<number | string>(resolve => { child.once('exit', (code, sig) => { resolve(code ?? sig ?? 'unknown') }) })
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, graceMs)
  try {
    return await exited
  } finally {
    clearTimeout(timer)
  }
}
