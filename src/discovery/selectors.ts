/**
 * Agent selection: an `AgentSelector` picks one of the agents that qualify
 * for a capability request. Built-ins `first`, `random` and `least-loaded`
 * live here; `auction` is built by the auctioneer (auction-selector.ts).
 */
import type { CapabilityTarget } from '../bus-types.ts'
import { ZeroStateError } from '../errors.ts'
import type { DirectoryEntry } from './agent-directory.ts'
import type { AgentLoad } from './heartbeat.ts'

/** What a selector knows besides the candidates. */
export interface SelectionContext {
  /** The request's target (capability, further capabilities, exclusions, strategy). */
  readonly target: CapabilityTarget
  /** The task to be sent, when the caller passed it (auctions show it to bidders). */
  readonly task?: unknown
  /** The request's budget, if any (auctions use it as the highest acceptable price). */
  readonly budget?: number
  readonly signal?: AbortSignal
  /** Best current estimate of an agent's load: live for this node's agents; the last heartbeat plus the requests this node sent since, for others. */
  load: (candidate: DirectoryEntry) => AgentLoad
  /** Uniform in [0, 1). */
  random: () => number
  /** Refuse the chosen agent's answer if it reports a cost above `maxCost` (`COST_EXCEEDS_BID`). */
  limitCost: (maxCost: number) => void
}

/**
 * Picks one candidate (every candidate offers all required capabilities), or
 * undefined to decline (the request then fails with `NO_AGENT`). May be async.
 *
 * @example
 * ```ts
 * const cheapest: AgentSelector = candidates =>
 *   [...candidates].sort((a, b) => (a.price ?? Infinity) - (b.price ?? Infinity))[0]
 * discovery.selectors.register('cheapest', cheapest)
 * await node.bus.request({ capability: 'translate', strategy: 'cheapest' }, { text: 'hej' })
 * ```
 */
export type AgentSelector = (
  candidates: readonly DirectoryEntry[],
  ctx: SelectionContext
) => DirectoryEntry | undefined | Promise<DirectoryEntry | undefined>

/** A selector that decides at once (the built-ins). */
export type SyncAgentSelector = (candidates: readonly DirectoryEntry[], ctx: SelectionContext) => DirectoryEntry | undefined

/** The first candidate in directory order. */
export const firstSelector: SyncAgentSelector = candidates => candidates[0]

/** A uniformly random candidate. */
export const randomSelector: SyncAgentSelector = (candidates, ctx) =>
  candidates[Math.min(candidates.length - 1, Math.floor(ctx.random() * candidates.length))]

/**
 * The candidate with the fewest running + queued tasks relative to its
 * concurrency (ties: fewer tasks in absolute terms, then at random).
 */
export const leastLoadedSelector: SyncAgentSelector = (candidates, ctx) => {
  let best: DirectoryEntry | undefined
  let bestRatio = Infinity
  let bestTasks = Infinity
  let ties = 0
  for (const candidate of candidates) {
    const load = ctx.load(candidate)
    const tasks = load.running + load.queued
    const ratio = tasks / Math.max(1, load.concurrency)
    if (ratio < bestRatio || (ratio === bestRatio && tasks < bestTasks)) {
      best = candidate
      bestRatio = ratio
      bestTasks = tasks
      ties = 1
    } else if (ratio === bestRatio && tasks === bestTasks) {
      // reservoir sampling: each tied candidate ends up chosen with equal probability
      ties++
      if (ctx.random() * ties < 1) best = candidate
    }
  }
  return best
}

/** Built-in strategy names (besides `auction`). */
export const BUILT_IN_SELECTORS: Readonly<Record<string, AgentSelector>> = {
  first: firstSelector,
  random: randomSelector,
  'least-loaded': leastLoadedSelector
}

/** The default strategy. */
export const DEFAULT_STRATEGY = 'least-loaded'

/** The selectors of one node, by strategy name. */
export interface SelectorRegistry {
  /** Add (or replace) a strategy. Returns a function that removes it again. */
  register: (name: string, selector: AgentSelector) => () => void
  /** The selector of a strategy, or undefined. */
  get: (name: string) => AgentSelector | undefined
  /** The names of every strategy. */
  names: () => string[]
}

/**
 * A registry holding the built-ins plus `extra` ones.
 *
 * @example
 * ```ts
 * const selectors = createSelectorRegistry()
 * selectors.register('newest', candidates => candidates.at(-1))
 * ```
 */
export function createSelectorRegistry (extra: Readonly<Record<string, AgentSelector>> = {}): SelectorRegistry {
  const byName = new Map<string, AgentSelector>(Object.entries({ ...BUILT_IN_SELECTORS, ...extra }))
  return {
    register (name, selector) {
      if (typeof name !== 'string' || name.length === 0) throw new ZeroStateError('INVALID_ARGUMENT', 'a selector needs a non-empty name')
      if (typeof selector !== 'function') throw new ZeroStateError('INVALID_ARGUMENT', `selector "${name}" is not a function`)
      byName.set(name, selector)
      return () => { if (byName.get(name) === selector) byName.delete(name) }
    },
    get: name => byName.get(name),
    names: () => [...byName.keys()]
  }
}
