/**
 * `zerostate run <workflow.json|yaml> --node <url>`: submit a chain or DAG to
 * a node's HTTP API, show live progress from its event stream, print the
 * result; exit 0 only when the run completed.
 */
import type { RunView } from '../http/run-view.ts'
import { CliError, EXIT } from './cli-errors.ts'
import { parseFlags, type CliIo, type Command } from './cli-io.ts'
import { createProgressPrinter, formatCost, formatMs } from './progress.ts'
import { submitAndFollow } from './submit-run.ts'
import { readWorkflowFile } from './workflow-file.ts'

const USAGE = `usage: zerostate run <workflow.json|yaml> --node <http url> [--json]

Submit a chain (a file with "steps") or a DAG (a file with "nodes") to a
node, show its progress live, and print the result. Exits 0 when the run
completed, 1 when it failed or was cancelled, 2 on bad input, 3 when the
node cannot be reached. Ctrl-C cancels the run.

options:
  --node <url>   the node's HTTP API, e.g. http://127.0.0.1:8080 (or ZEROSTATE_NODE)
  --json         print the final result as JSON on stdout (progress goes to stderr)
  -h, --help     show this help

examples:
  zerostate run examples/image-pipeline.chain.json --node http://127.0.0.1:8080
  zerostate run examples/data-analysis.dag.yaml --node http://127.0.0.1:8080`

async function runWorkflow (args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    node: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }, USAGE, true)
  if (values.help === true) { io.out(USAGE); return EXIT.ok }
  if (positionals.length !== 1) throw new CliError('give exactly one workflow file', { hint: USAGE.split('\n')[0] })
  const base = normaliseUrl(values.node ?? process.env.ZEROSTATE_NODE)
  const file = positionals[0] as string
  const workflow = await readWorkflowFile(file, { signal: io.signal })
  const say = values.json === true ? io.err : io.out

  const progress = createProgressPrinter(say)
  const startedAt = Date.now()
  let runId: string | undefined
  const onAbort = (): void => {
    if (runId !== undefined) void fetch(`${base}/v1/runs/${encodeURIComponent(runId)}`, { method: 'DELETE' }).catch(() => {})
  }
  io.signal.addEventListener('abort', onAbort, { once: true })
  let result: RunView
  try {
    result = await submitAndFollow(base, workflow.kind, workflow.spec, {
      onStarted: id => {
        runId = id
        say(`▶ ${workflow.kind} "${String(workflow.spec.name ?? workflow.spec.id ?? file)}" started as run ${id} on ${base}`)
      },
      onView: progress
    })
  } finally {
    io.signal.removeEventListener('abort', onAbort)
  }
  if (values.json === true) io.out(JSON.stringify(result, null, 2))
  else printResult(result, Date.now() - startedAt, say)
  if (io.signal.aborted) return EXIT.interrupted
  return result.status === 'completed' ? EXIT.ok : EXIT.failed
}

function printResult (result: RunView, elapsedMs: number, say: (line: string) => void): void {
  const mark = result.status === 'completed' ? '✓' : '✗'
  say(`${mark} ${result.kind} "${result.name}" ${result.status} in ${formatMs(elapsedMs)}, total cost ${formatCost(result.total_cost)}`)
  if (result.error !== undefined) say(`  ${result.error.code}: ${result.error.message}`)
  const output = result.kind === 'chain' ? result.output : result.outputs
  if (output !== undefined) {
    const text = JSON.stringify(output, null, 2)
    say(text.length > 4000 ? `${text.slice(0, 4000)}\n  … (${text.length - 4000} more characters; use --json)` : text)
  }
}

function normaliseUrl (value: string | undefined): string {
  if (value === undefined || value === '') throw new CliError('--node <http url> is required', { hint: 'e.g. --node http://127.0.0.1:8080 (the ready line of `zerostate node --http 8080` shows it)' })
  let url: URL
  try {
    url = new URL(/^https?:\/\//.test(value) ? value : `http://${value}`)
  } catch {
    throw new CliError(`--node must be an http URL, got "${value}"`)
  }
  return url.href.replace(/\/+$/, '')
}

export const runCommand: Command = { name: 'run', summary: 'submit a workflow file to a node and follow it', usage: USAGE, run: runWorkflow }
