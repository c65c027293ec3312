/**
 * `zerostate node`: a long-lived node with optional agents and HTTP API. It
 * prints one JSON ready line on stdout (`{"event":"ready",...}`) and stops
 * cleanly on SIGINT/SIGTERM: the HTTP API first (in-flight requests are
 * answered), then the node (agents, services, libp2p).
 */
import { pino, type Level } from 'pino'
import { createNode, type NodeInit } from '../index.ts'
import { createHttpApi, type HttpApi } from '../http/http-api.ts'
import { CliError, EXIT } from './cli-errors.ts'
import { parseFlags, type CliIo, type Command } from './cli-io.ts'
import { loadAgentSpecs } from './load-agents.ts'
import { loadOrCreateKey } from './node-key.ts'

const USAGE = `usage: zerostate node [options]

Start a node and keep it running until SIGINT/SIGTERM.

options:
  --listen <multiaddr>      address to listen on (repeatable; default /ip4/127.0.0.1/tcp/0)
  --bootstrap <multiaddr>   a peer to dial at start, with /p2p/<peer id> (repeatable)
  --coordinator <addr>      coordination authority: peer id, DID or multiaddr (default: this node)
  --agents <module>         JS/TS module exporting agent specs to spawn (repeatable)
  --http <[host:]port>      serve the HTTP API (host default 127.0.0.1; port 0 picks one)
  --key <file>              stable identity: the node key, created if missing
  --log-level <level>       fatal | error | warn | info | debug | trace (default warn; logs go to stderr)
  -h, --help                show this help

On start it prints one JSON line to stdout:
  {"event":"ready","peer_id":...,"did":...,"multiaddrs":[...],"http":"http://127.0.0.1:PORT","agents":[...]}`

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Parse `--http` (`8080`, `0.0.0.0:8080`, `[::1]:8080`). */
export function parseHttpFlag (value: string): { host: string, port: number } {
  const match = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d{1,5})$/.exec(value.trim())
  const port = match === null ? NaN : Number(match[3])
  if (match === null || port > 65535) throw new CliError(`--http takes [host:]port, got "${value}"`)
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port }
}

async function runNode (args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, {
    listen: { type: 'string', multiple: true },
    bootstrap: { type: 'string', multiple: true },
    coordinator: { type: 'string' },
    agents: { type: 'string', multiple: true },
    http: { type: 'string' },
    key: { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }, USAGE)
  if (values.help === true) { io.out(USAGE); return EXIT.ok }
  const level = values['log-level'] ?? process.env.ZEROSTATE_LOG_LEVEL ?? 'warn'
  if (!LEVELS.includes(level)) throw new CliError(`--log-level must be one of ${LEVELS.join(', ')}`)
  const http = values.http === undefined ? undefined : parseHttpFlag(values.http)
  const logger = pino({ level: level as Level }, pino.destination(2))
  const init: NodeInit = { logger }
  if (values.listen !== undefined) init.listen = values.listen
  if (values.bootstrap !== undefined) init.bootstrap = values.bootstrap
  if (values.coordinator !== undefined) init.coordinator = values.coordinator
  if (values.key !== undefined) init.privateKey = (await loadOrCreateKey(values.key, { signal: io.signal })).key

  io.signal.throwIfAborted()
  const node = await createNode(init)
  let api: HttpApi | undefined
  const stopAll = async (): Promise<void> => {
    await api?.close().catch((err: unknown) => { logger.warn({ err }, 'HTTP API did not close cleanly') })
    await node.stop()
  }
  try {
    const agents: string[] = []
    for (const modulePath of values.agents ?? []) {
      for (const spec of await loadAgentSpecs(modulePath, node)) agents.push((await node.spawnAgent(spec)).id)
    }
    if (http !== undefined) api = await createHttpApi(node, { ...http, signal: io.signal })
    io.out(JSON.stringify({
      event: 'ready',
      peer_id: node.peerId,
      did: node.did,
      multiaddrs: node.multiaddrs.map(String),
      http: api?.url ?? null,
      agents,
      pid: process.pid
    }))
  } catch (err) {
    await stopAll()
    throw err
  }
  if (!io.signal.aborted) await new Promise<void>(resolve => { io.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
  logger.info('stopping: HTTP API, then agents and libp2p')
  await stopAll()
  io.out(JSON.stringify({ event: 'stopped', peer_id: node.peerId }))
  return EXIT.ok
}

export const nodeCommand: Command = { name: 'node', summary: 'run a long-lived node (agents, HTTP API)', usage: USAGE, run: runNode }
