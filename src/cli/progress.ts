/**
 * Progress lines of a run, from the successive views its event stream
 * sends: one line when a step (or DAG node) starts, and one when it ends,
 * with its agent, duration and cost.
 */
import type { RunView, StepView } from '../http/run-view.ts'

export interface ProgressOptions {
  /** Short name of an agent id (default: `<name>@<last 6 chars of the node key>`). */
  agentName?: (agentId: string) => string
  /** Put before every line. Default two spaces. */
  indent?: string
}

/** `did:key:z6Mk...Xyz123#resizer` -> `resizer@Xyz123`. */
export function shortAgent (agentId: string): string {
  const hash = agentId.lastIndexOf('#')
  if (hash === -1) return agentId
  return `${agentId.slice(hash + 1)}@${agentId.slice(Math.max(0, hash - 6), hash)}`
}

/**
 * A function to call with each view; it prints what changed.
 *
 * @example
 * ```ts
 * const progress = createProgressPrinter(line => { process.stdout.write(line + '\n') })
 * for await (const e of followRun(url, id)) progress(e.data)
 * ```
 */
export function createProgressPrinter (print: (line: string) => void, options: ProgressOptions = {}): (view: RunView) => void {
  const seen = new Map<string, string>()
  const name = options.agentName ?? shortAgent
  const indent = options.indent ?? '  '
  return view => {
    const steps: StepView[] = view.steps ?? Object.values(view.nodes ?? {})
    for (const step of steps) {
      const before = seen.get(step.id)
      const now = phase(step.status)
      if (before === now) continue
      seen.set(step.id, now)
      if (now === 'waiting') continue
      print(`${indent}${describeStep(step, now, name)}`)
    }
  }
}

type Phase = 'waiting' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled'

function phase (status: string): Phase {
  switch (status) {
    case 'running': case 'backoff': return 'running'
    case 'succeeded': case 'failed': case 'skipped': case 'cancelled': return status
    default: return 'waiting'
  }
}

function describeStep (step: StepView, now: Phase, name: (id: string) => string): string {
  const label = (step.name ?? step.id).padEnd(14)
  const agent = step.agent_id === undefined ? '' : ` ${name(step.agent_id)}`
  switch (now) {
    case 'running': return `… ${label} running${step.attempts > 1 ? ` (attempt ${step.attempts})` : ''}`
    case 'succeeded': return `✓ ${label} ${formatMs(step.duration_ms).padStart(8)}  cost ${formatCost(step.cost)}${agent}`
    case 'failed': return `✗ ${label} ${step.error === undefined ? 'failed' : `${step.error.code}: ${step.error.message}`}${agent}`
    default: return `- ${label} ${now}`
  }
}

export function formatMs (ms: number | undefined): string {
  if (ms === undefined) return '-'
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

export function formatCost (cost: number): string {
  return Number.isInteger(cost) ? String(cost) : cost.toFixed(2)
}
