/**
 * One node attempt of a dag-run: its step key, its timer ids, its request
 * (the node's static input with the values mapped from its dependencies'
 * outputs) and the effect that starts it. Pure.
 */
import type { WireError } from '../src/errors.ts'
import type { StepRequest } from '../src/workflow/step-executor.ts'
import type { DagSpec } from '../src/dags/dag-types.ts'
import type { DagGraph } from './dag-graph.ts'
import type { DagEffect, DagRunContext } from './dag-schedule.ts'
import { getPath, tryApplyInputMapping, type PathLookup } from '../src/workflow/input-mapping.ts'

/** The step runner's key of attempt `attempt` of node `index`. */
export function stepChildId (index: number, attempt: number): string {
  return `step-${index}-${attempt}`
}

/** The node index and attempt a step key names, or undefined for other keys. */
export function parseStepChildId (childId: string): { index: number, attempt: number } | undefined {
  const match = /^step-(\d+)-(\d+)$/.exec(childId)
  if (match === null) return undefined
  return { index: Number(match[1]), attempt: Number(match[2]) }
}

/** The id of node `index`'s timeout timer. */
export const timeoutTimer = (index: number): string => `timeout-${index}`
/** The id of node `index`'s retry backoff timer. */
export const retryTimer = (index: number): string => `retry-${index}`

/** The request of attempt `attempt` of node `index` and the effect that starts it, or the mapping failure. */
export function attemptStart (ctx: DagRunContext, index: number, attempt: number, grant: number | undefined, avoidAgents: string[] | undefined): { ok: true, effect: DagEffect } | { ok: false, error: WireError } {
  const spec = ctx.spec.nodes[index] as DagSpec['nodes'][number]
  const mapped = tryApplyInputMapping(spec.input, spec.inputMapping, path => resolveDependencyPath(ctx, index, path))
  if (!mapped.ok) return mapped
  const request: StepRequest = { runId: ctx.runId, stepId: spec.id, attempt, taskType: spec.taskType, input: mapped.input }
  if (spec.agentId !== undefined) request.agentId = spec.agentId
  if (spec.capabilities !== undefined) request.capabilities = spec.capabilities
  if (spec.strategy !== undefined) request.strategy = spec.strategy
  if (spec.timeout !== undefined) request.timeoutMs = spec.timeout
  if (grant !== undefined) request.budget = grant
  if (avoidAgents !== undefined) request.avoidAgents = avoidAgents
  const childId = stepChildId(index, attempt)
  return {
    ok: true,
    effect: spec.timeout === undefined
      ? { type: 'start', childId, request }
      : { type: 'start', childId, request, timer: { id: timeoutTimer(index), delay: spec.timeout, index, attempt } }
  }
}

/** Resolve `"<dependency id>.<path>"` (or a dependency id alone) into that dependency's output. */
function resolveDependencyPath (ctx: DagRunContext, index: number, path: string): PathLookup {
  const graph = ctx.graph as DagGraph
  let best = -1
  let bestLength = -1
  const end = graph.requiresStart[index + 1] as number
  for (let e = graph.requiresStart[index] as number; e < end; e++) {
    const d = graph.requires[e] as number
    const id = graph.ids[d] as string
    if ((path === id || path.startsWith(id + '.')) && id.length > bestLength) {
      best = d
      bestLength = id.length
    }
  }
  if (best < 0) return { found: false }
  return getPath(ctx.nodes[best]?.output, path.length === bestLength ? '' : path.slice(bestLength + 1))
}
