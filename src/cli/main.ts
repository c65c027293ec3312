/**
 * The `zerostate` command line: `demo`, `node`, `run`. See docs/CLI.md.
 *
 * @example
 * ```sh
 * npx zerostate demo
 * npx zerostate node --http 8080 --agents ./my-agents.ts
 * npx zerostate run examples/image-pipeline.chain.json --node http://127.0.0.1:8080
 * ```
 */
import '../polyfill.ts'
import { pathToFileURL } from 'node:url'
import { describeError, EXIT } from './cli-errors.ts'
import type { CliIo, Command } from './cli-io.ts'

const COMMANDS: Record<string, { summary: string, load: () => Promise<Command> }> = {
  demo: { summary: 'run the showcase: a 3-node mesh and the four use cases', load: async () => (await import('../demo/demo-command.ts')).demoCommand },
  node: { summary: 'run a long-lived node (agents, HTTP API)', load: async () => (await import('./node-command.ts')).nodeCommand },
  run: { summary: 'submit a workflow file to a node and follow it', load: async () => (await import('./run-command.ts')).runCommand }
}

const USAGE = `usage: zerostate <command> [options]

ZeroState: an agent mesh of supervised XState actors over libp2p.

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(6)} ${c.summary}`).join('\n')}

Run \`zerostate <command> --help\` for a command's options.`

/**
 * Run the CLI with `argv` (without node and script) and resolve with the exit code.
 */
export async function main (argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE)
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  const entry = COMMANDS[name]
  if (entry === undefined) {
    io.err(`error: unknown command "${name}"\n\n${USAGE}`)
    return EXIT.usage
  }
  try {
    return await (await entry.load()).run(rest, io)
  } catch (err) {
    if (io.signal.aborted && (err as { name?: unknown }).name === 'AbortError') return EXIT.interrupted
    const { text, exitCode } = describeError(err, process.env.ZEROSTATE_DEBUG === '1')
    io.err(text)
    return exitCode
  }
}

/** Wire `main` to this process: stdout/stderr, SIGINT/SIGTERM, exit code. */
async function runAsProcess (): Promise<void> {
  const controller = new AbortController()
  let signals = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1
    if (signals > 1) process.exit(sig === 'SIGINT' ? EXIT.interrupted : 143)
    controller.abort(new Error(`received ${sig}`))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const code = await main(process.argv.slice(2), {
    out: line => { process.stdout.write(`${line}\n`) },
    err: line => { process.stderr.write(`${line}\n`) },
    signal: controller.signal
  })
  // libp2p and fetch may keep sockets half-open for a while: flush and leave.
  process.stdout.write('', () => { process.exit(code) })
}

const invokedPath = process.argv[1]
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) await runAsProcess()
else if (process.env.ZEROSTATE_CLI_MAIN === '1') await runAsProcess()
