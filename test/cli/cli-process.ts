/** Test helper: run the CLI as a real child process and read its output line by line. */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

export interface CliProcess {
  child: ChildProcess
  stdout: string[]
  stderr: string[]
  /** Resolves with the first stdout line `match` accepts. */
  waitForStdout: (match: (line: string) => boolean) => Promise<string>
  waitForStderr: (match: (line: string) => boolean) => Promise<string>
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

export function startCli (args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env }
  })
  const stdout: string[] = []
  const stderr: string[] = []
  const waiters: Array<{ stream: string[], match: (line: string) => boolean, resolve: (line: string) => void }> = []
  const feed = (stream: string[], line: string): void => {
    stream.push(line)
    for (const w of [...waiters]) {
      if (w.stream === stream && w.match(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line) }
    }
  }
  createInterface({ input: child.stdout }).on('line', line => { feed(stdout, line) })
  createInterface({ input: child.stderr }).on('line', line => { feed(stderr, line) })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => { child.once('exit', (code, signal) => { resolve({ code, signal }) }) })
  const waitFor = (stream: string[]) => async (match: (line: string) => boolean): Promise<string> => {
    const seen = stream.find(match)
    if (seen !== undefined) return seen
    return await new Promise<string>((resolve, reject) => {
      waiters.push({ stream, match, resolve })
      void exited.then(({ code }) => { reject(new Error(`the CLI exited (${code}) first:\n${stderr.join('\n')}`)) })
    })
  }
  return { child, stdout, stderr, waitForStdout: waitFor(stdout), waitForStderr: waitFor(stderr), exited }
}
