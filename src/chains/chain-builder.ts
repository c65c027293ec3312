/**
 * Build a chain spec in code, in the seed's `NewTaskChain` / `AddStep`
 * style. A plain {@link ChainSpec} object works just as well; the builder
 * only adds a fluent way to write one and validates it on `build()`.
 */
import type { RetryPolicy } from '../workflow/retry-policy.ts'
import { parseChain } from './parse-chain.ts'
import type { ChainSpec, ChainStepSpec } from './chain-types.ts'

/** A chain under construction. Each method returns the builder. */
export interface ChainBuilder {
  /** Append a step (run in the order added). */
  addStep: (step: ChainStepSpec) => ChainBuilder
  /** The most the whole run may cost. */
  withBudget: (totalBudget: number) => ChainBuilder
  /** The default retry policy of every step. */
  withRetry: (retry: Partial<RetryPolicy>) => ChainBuilder
  /**
   * The spec, validated.
   *
   * @throws InvalidSpecError naming the path of every problem
   */
  build: () => ChainSpec
}

/**
 * Start a chain.
 *
 * @example
 * ```ts
 * const spec = newTaskChain('image-pipeline', { userId: 'u1' })
 *   .addStep({ name: 'upload', capabilities: ['upload'], taskType: 'upload', input: { file: 'cat.png' } })
 *   .addStep({ name: 'resize', capabilities: ['resize'], taskType: 'resize', inputMapping: { upload_url: 'url' } })
 *   .withBudget(10)
 *   .build()
 * const result = await node.chains.execute(spec)
 * ```
 */
export function newTaskChain (name: string, options: { id?: string, userId?: string, description?: string } = {}): ChainBuilder {
  const spec: ChainSpec = { name, steps: [], ...options }
  const builder: ChainBuilder = {
    addStep (step) {
      spec.steps.push({ ...step })
      return builder
    },
    withBudget (totalBudget) {
      spec.totalBudget = totalBudget
      return builder
    },
    withRetry (retry) {
      spec.retry = { ...retry }
      return builder
    },
    build () {
      const built: ChainSpec = { ...spec, steps: spec.steps.map(step => ({ ...step })) }
      parseChain(built)
      return built
    }
  }
  return builder
}
