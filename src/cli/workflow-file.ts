/**
 * Workflow files for `zerostate run`: JSON or YAML, a chain (with `steps`)
 * or a DAG (with `nodes`), in the seed's field names. An optional top-level
 * `kind: chain | dag` settles it explicitly.
 */
import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { CliError } from './cli-errors.ts'

/** A workflow read from a file, ready to POST. */
export interface WorkflowFile {
  kind: 'chain' | 'dag'
  spec: Record<string, unknown>
}

/** Read and classify a workflow file. */
export async function readWorkflowFile (file: string, options: { signal?: AbortSignal } = {}): Promise<WorkflowFile> {
  let text: string
  try {
    text = await readFile(file, { encoding: 'utf8', ...(options.signal === undefined ? {} : { signal: options.signal }) })
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  return parseWorkflow(text, file)
}

/** Parse workflow text; `file` names it in errors and picks JSON or YAML by extension. */
export function parseWorkflow (text: string, file: string): WorkflowFile {
  let value: unknown
  const ext = extname(file).toLowerCase()
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new CliError(`${file} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0] ?? ''}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError(`${file} must hold one object (a chain with "steps" or a DAG with "nodes")`)
  const { kind, ...spec } = value as Record<string, unknown>
  if (kind === 'chain' || kind === 'dag') return { kind, spec }
  if (kind !== undefined) throw new CliError(`${file}: "kind" must be "chain" or "dag"`)
  if ('steps' in spec && !('nodes' in spec)) return { kind: 'chain', spec }
  if ('nodes' in spec && !('steps' in spec)) return { kind: 'dag', spec }
  throw new CliError(`${file}: cannot tell a chain from a DAG`, { hint: 'a chain has "steps", a DAG has "nodes" (or add kind: chain | dag)' })
}
