/**
 * The auction use case: summarizer agents that bid for a text-summary task
 * at their own price, and an auctioneer that runs the contract-net round
 * with `node.auction` and reports every bid.
 */
import type { AgentSpec } from '../../agent-types.ts'
import { TaskError } from '../../errors.ts'
import { pause, taskInput, type DemoNode } from './demo-node.ts'

const STOP_WORDS = new Set(['the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'on', 'is', 'are', 'it', 'its', 'by', 'for', 'with', 'as', 'at', 'be', 'that', 'this', 'from', 'into', 'their', 'they', 'each', 'over'])

/** Word and sentence counts, the most frequent words and the lead sentence. */
export function summarise (text: string): { words: number, sentences: number, top_words: Array<[string, number]>, lead: string } {
  const sentences = text.split(/(?<=[.!?])\s+/).map(s => s.trim()).filter(s => s.length > 0)
  const words = text.toLowerCase().match(/[a-z][a-z'-]*/g) ?? []
  const counts = new Map<string, number>()
  for (const w of words) if (!STOP_WORDS.has(w) && w.length > 2) counts.set(w, (counts.get(w) ?? 0) + 1)
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5)
  return { words: words.length, sentences: sentences.length, top_words: top, lead: sentences[0] ?? '' }
}

/** A bidder offering `text-summary` at `price`, promising `etaMs`. */
export function summarizer (name: string, price: number, etaMs: number): AgentSpec {
  return {
    name,
    capabilities: ['text-summary'],
    price,
    bid: () => ({ price, etaMs }),
    handle: async (task, ctx) => {
      const text = taskInput(task).text
      if (typeof text !== 'string' || text.length === 0) throw new TaskError('input.text is required', { code: 'BAD_INPUT', retryable: false })
      await pause(Math.min(etaMs, 50), ctx.signal)
      ctx.reportCost(Math.round(price * 0.9 * 100) / 100)
      return { ...summarise(text), by: name }
    }
  }
}

/** Runs an auction for `{ capability, task, window_ms?, max_price? }` and answers winner, bids, output and cost. */
export function auctioneer (node: DemoNode): AgentSpec {
  return {
    name: 'auctioneer',
    capabilities: ['auction'],
    concurrency: 4,
    handle: async (task, ctx) => {
      if (node.auction === undefined) throw new TaskError('this node has no auctions (node.auction)', { code: 'NO_AUCTIONS', retryable: false })
      const input = taskInput(task)
      if (typeof input.capability !== 'string') throw new TaskError('capability is required', { code: 'BAD_INPUT', retryable: false })
      const result = await node.auction({
        capability: input.capability,
        task: input.task,
        windowMs: Number(input.window_ms ?? 250),
        ...(typeof input.max_price === 'number' ? { maxPrice: input.max_price } : {}),
        signal: ctx.signal
      })
      ctx.reportCost(result.cost)
      return { auction_id: result.auctionId, winner: result.winner, bids: result.bids, output: result.output, cost: result.cost }
    }
  }
}
