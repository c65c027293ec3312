/**
 * Requests by capability: find the agents that qualify, let the strategy's
 * selector pick one, send, and when the chosen agent turns out to be gone
 * try another. Installed on the node with `setCapabilityCaller`.
 */
import type { CapabilityTarget, Reply, RequestOptions } from '../bus-types.ts'
import { AbortedError, ZeroStateError, isZeroStateError, type ErrorCode } from '../errors.ts'
import type { AgentDirectory, DirectoryEntry } from './agent-directory.ts'
import type { DiscoveryMetrics } from './discovery-metrics.ts'
import type { AgentLoad } from './heartbeat.ts'
import type { InFlightRequests } from './in-flight.ts'
import { DEFAULT_STRATEGY, type SelectionContext, type SelectorRegistry } from './selectors.ts'
import { DEFAULT_TIMEOUT_MS } from '../messaging/message-bus.ts'

/** Errors that mean "this agent did not get the task": another candidate may be tried. */
const GONE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['AGENT_NOT_FOUND', 'AGENT_STOPPED', 'DELIVERY_FAILED'])

/** True when `err` says the agent never got the task (gone, stopping, unreachable). */
export function isAgentGone (err: unknown): boolean {
  return isZeroStateError(err) && GONE.has(err.code)
}

/** Check a capability target's shape; throws INVALID_ARGUMENT. */
export function checkTarget (target: CapabilityTarget): void {
  if (typeof target?.capability !== 'string' || target.capability.length === 0) {
    throw new ZeroStateError('INVALID_ARGUMENT', 'a capability target needs a non-empty `capability`')
  }
  for (const key of ['capabilities', 'exclude'] as const) {
    const list = target[key]
    if (list !== undefined && (!Array.isArray(list) || !list.every(s => typeof s === 'string'))) {
      throw new ZeroStateError('INVALID_ARGUMENT', `\`${key}\` must be an array of strings`)
    }
  }
}

/**
 * The agents that offer `target.capability` and every one of
 * `target.capabilities`, minus `skip`; agents in `target.exclude` only when
 * no other agent qualifies.
 */
export function candidatesFor (directory: AgentDirectory, target: CapabilityTarget, skip: ReadonlySet<string> = new Set()): DirectoryEntry[] {
  const required = target.capabilities ?? []
  const all = directory.find(target.capability).filter(entry =>
    !skip.has(entry.id) && required.every(capability => entry.capabilities.includes(capability)))
  if (target.exclude === undefined || target.exclude.length === 0) return all
  const exclude = new Set(target.exclude)
  const preferred = all.filter(entry => !exclude.has(entry.id))
  return preferred.length > 0 ? preferred : all
}

export interface CapabilityCallerInit {
  directory: AgentDirectory
  selectors: SelectorRegistry
  inFlight: InFlightRequests
  /** Estimated load of a candidate (see {@link SelectionContext.load}). */
  load: (candidate: DirectoryEntry) => AgentLoad
  metrics: DiscoveryMetrics
  /** Forget an agent a request proved absent (AGENT_NOT_FOUND). */
  forget: (agentId: string) => void
  random?: () => number
  now?: () => number
}

/**
 * The node's CapabilityCaller. The optional `task` (the request payload) is
 * shown to selectors, so an auction's call for proposals can carry it.
 */
export type SelectingCaller = (
  target: CapabilityTarget,
  send: (agentId: string) => Promise<Reply>,
  options: RequestOptions,
  task?: unknown
) => Promise<Reply>

/**
 * Build the caller that resolves `bus.request({ capability, strategy? }, ...)`.
 *
 * @example
 * ```ts
 * base.internals.setCapabilityCaller(createCapabilityCaller({ directory, selectors, inFlight, load, metrics, forget }))
 * ```
 */
export function createCapabilityCaller (init: CapabilityCallerInit): SelectingCaller {
  const { directory, selectors, inFlight, metrics } = init
  const random = init.random ?? Math.random
  const now = init.now ?? Date.now

  return async (target, send, options, task) => {
    checkTarget(target)
    const strategy = target.strategy ?? DEFAULT_STRATEGY
    const selector = selectors.get(strategy)
    if (selector === undefined) {
      throw new ZeroStateError('INVALID_ARGUMENT', `unknown selection strategy "${strategy}" (known: ${selectors.names().join(', ')})`)
    }
    const tried = new Set<string>()
    let lastGone: unknown
    // Another candidate is tried only while the request has time left: a "gone" answer that comes
    // at its deadline (an unreachable node's message expiring) ends the request, naming that agent.
    const deadline = now() + (typeof options.timeout === 'number' && options.timeout > 0 ? options.timeout : DEFAULT_TIMEOUT_MS)
    try {
      for (;;) {
        if (options.signal?.aborted === true) throw new AbortedError('aborted while selecting an agent', { cause: options.signal.reason })
        const candidates = candidatesFor(directory, target, tried)
        if (candidates.length === 0) break
        let maxCost: number | undefined
        const ctx: SelectionContext = {
          target,
          ...(task === undefined ? {} : { task }),
          ...(options.budget === undefined ? {} : { budget: options.budget }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          load: init.load,
          random,
          limitCost: cost => { maxCost = cost }
        }
        // a synchronous selector's pick is counted as in flight before any other request selects
        const selection = selector(candidates, ctx)
        const picked = selection instanceof Promise ? await selection : selection
        if (picked === undefined) break
        const chosen = candidates.find(c => c.id === picked.id)
        if (chosen === undefined) throw new ZeroStateError('INVALID_ARGUMENT', `selector "${strategy}" picked ${String(picked.id)}, which is not a candidate`)
        tried.add(chosen.id)
        const done = inFlight.begin(chosen.id, now())
        let reply: Reply
        try {
          reply = await send(chosen.id)
        } catch (err) {
          if (!isAgentGone(err) || now() >= deadline) throw err
          lastGone = err
          if (isZeroStateError(err, 'AGENT_NOT_FOUND')) init.forget(chosen.id)
          metrics.selectionRetries.inc()
          continue
        } finally {
          done()
        }
        if (maxCost !== undefined && reply.cost > maxCost) {
          throw new ZeroStateError('COST_EXCEEDS_BID', `agent ${reply.agentId} reported cost ${reply.cost} above its bid ${maxCost}`, {
            details: { agentId: reply.agentId, cost: reply.cost, bid: maxCost, output: reply.payload }
          })
        }
        metrics.selections.inc({ strategy, outcome: 'sent' })
        return reply
      }
    } catch (err) {
      metrics.selections.inc({ strategy, outcome: 'error' })
      throw err
    }
    metrics.selections.inc({ strategy, outcome: 'no_agent' })
    const wanted = [target.capability, ...(target.capabilities ?? [])].join(', ')
    throw new ZeroStateError('NO_AGENT', tried.size === 0
      ? `no live agent offers ${wanted}`
      : `every agent offering ${wanted} was gone (${tried.size} tried)`, {
      ...(lastGone === undefined ? {} : { cause: lastGone }),
      details: { capability: target.capability, capabilities: target.capabilities ?? [], tried: [...tried] }
    })
  }
}
