/**
 * Submit a workflow to a node's HTTP API and follow it to its result: the
 * client side shared by `zerostate run` and the demo.
 */
import type { RunView } from '../http/run-view.ts'
import { followRun, responseError } from './sse-client.ts'

/**
 * POST the spec and follow the run's events; `onView` sees every state.
 * Resolves with the final view (whatever its status).
 *
 * @example
 * ```ts
 * const result = await submitAndFollow(url, 'chain', spec, { onView: v => { statuses.push(v.status) } })
 * ```
 */
export async function submitAndFollow (baseUrl: string, kind: 'chain' | 'dag', spec: unknown, options: { signal?: AbortSignal, onStarted?: (id: string) => void, onView?: (view: RunView) => void } = {}): Promise<RunView> {
  const id = await submitRun(baseUrl, kind, spec, options)
  options.onStarted?.(id)
  let result: RunView | undefined
  for await (const event of followRun<RunView>(baseUrl, id, options)) {
    options.onView?.(event.data)
    if (event.event === 'result') result = event.data
  }
  if (result === undefined) throw new Error(`the event stream of run ${id} ended without a result`)
  return result
}

/** POST a chain or DAG spec; resolves with the run id. */
export async function submitRun (baseUrl: string, kind: 'chain' | 'dag', spec: unknown, options: { signal?: AbortSignal } = {}): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/${kind}s`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
    signal: options.signal === undefined ? AbortSignal.timeout(10_000) : AbortSignal.any([options.signal, AbortSignal.timeout(10_000)])
  })
  if (res.status !== 202) throw await responseError(res)
  return (await res.json() as { id: string }).id
}

/** POST a request to an agent through a node; resolves with `{ agent_id, payload, cost }`. */
export async function requestAgent<T = unknown> (baseUrl: string, agentId: string, payload: unknown, options: { timeout?: number, signal?: AbortSignal } = {}): Promise<{ agent_id: string, payload: T, cost: number }> {
  const res = await fetch(`${baseUrl}/v1/agents/${encodeURIComponent(agentId)}/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ payload, ...(options.timeout === undefined ? {} : { timeout: options.timeout }) }),
    ...(options.signal === undefined ? {} : { signal: options.signal })
  })
  if (!res.ok) throw await responseError(res)
  return await res.json() as { agent_id: string, payload: T, cost: number }
}
