/**
 * `--agents <module>`: a JS/TS module whose default (or `agents`) export is
 * a list of agent specs, or a function of the node returning one.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AgentSpec } from '../agent-types.ts'
import { CliError } from './cli-errors.ts'

/**
 * What an agents module exports.
 *
 * @example
 * ```ts
 * // my-agents.ts
 * import type { AgentsExport } from 'zerostate/src/cli/load-agents.ts'
 * const agents: AgentsExport = node => [{ name: 'echo', capabilities: ['echo'], handle: t => t }]
 * export default agents
 * ```
 */
export type AgentsExport<TNode = unknown> = AgentSpec[] | ((node: TNode) => AgentSpec[] | Promise<AgentSpec[]>)

/** Import `modulePath` (relative to the working directory) and return its agent specs for `node`. */
export async function loadAgentSpecs<TNode> (modulePath: string, node: TNode): Promise<AgentSpec[]> {
  let mod: Record<string, unknown>
  try {
    mod = await import(pathToFileURL(resolve(modulePath)).href) as Record<string, unknown>
  } catch (err) {
    throw new CliError(`cannot load agents module ${modulePath}: ${(err as Error).message}`, { cause: err })
  }
  const exported = mod.default ?? mod.agents
  const specs = typeof exported === 'function' ? await (exported as (node: TNode) => unknown)(node) : exported
  if (!Array.isArray(specs) || specs.some(s => typeof s !== 'object' || s === null || typeof (s as AgentSpec).name !== 'string')) {
    throw new CliError(`${modulePath} must export (default or "agents") a list of agent specs, or a function of the node returning one`)
  }
  return specs as AgentSpec[]
}
