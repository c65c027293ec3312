/**
 * The data-analysis DAG's agents: fetch the files shipped in `data/`, parse
 * CSV, JSON and XML, aggregate, and compute analytics.
 */
import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AgentSpec } from '../../agent-types.ts'
import { TaskError } from '../../errors.ts'
import { aggregateOrders, analyseSales, parseCsv, parseOrdersXml, toOrders, type Order, type SalesSummary } from '../tabular.ts'
import { taskInput } from './demo-node.ts'

/** The repository's `data/` folder. */
export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'data')

export function fetcher (): AgentSpec {
  return {
    name: 'fetcher',
    capabilities: ['data-fetch'],
    handle: async (task, ctx) => {
      const sources = taskInput(task).sources
      if (typeof sources !== 'object' || sources === null) throw new TaskError('input.sources must map a format to a file in data/', { code: 'BAD_INPUT', retryable: false })
      const files: Record<string, string> = {}
      let bytes = 0
      for (const [format, file] of Object.entries(sources as Record<string, unknown>)) {
        const text = await readFile(join(DATA_DIR, basename(String(file))), { encoding: 'utf8', signal: ctx.signal })
        files[format] = text
        bytes += Buffer.byteLength(text)
      }
      ctx.reportCost(0.1)
      return { files, bytes }
    }
  }
}

function parser (name: string, capability: string, parse: (text: string) => Array<Record<string, unknown>>): AgentSpec {
  return {
    name,
    capabilities: [capability],
    handle: (task, ctx) => {
      const text = taskInput(task).text
      if (typeof text !== 'string') throw new TaskError('input.text must be the file contents', { code: 'BAD_INPUT', retryable: false })
      let records: Order[]
      try {
        records = toOrders(parse(text))
      } catch (err) {
        throw new TaskError(`${capability}: ${(err as Error).message}`, { code: 'PARSE_ERROR', retryable: false })
      }
      ctx.reportCost(0.05 * Math.ceil(records.length / 10))
      return { records, count: records.length }
    }
  }
}

export const csvParser = (): AgentSpec => parser('csv-parser', 'parse-csv', parseCsv)
export const jsonParser = (): AgentSpec => parser('json-parser', 'parse-json', text => {
  const value = JSON.parse(text) as { orders?: unknown }
  if (!Array.isArray(value.orders)) throw new TypeError('expected { "orders": [...] }')
  return value.orders as Array<Record<string, unknown>>
})
export const xmlParser = (): AgentSpec => parser('xml-parser', 'parse-xml', parseOrdersXml)

export function aggregator (): AgentSpec {
  return {
    name: 'aggregator',
    capabilities: ['data-aggregation'],
    handle: (task, ctx) => {
      const input = taskInput(task)
      const lists = ['csv', 'json', 'xml'].map(k => input[k]).filter(Array.isArray) as Order[][]
      if (lists.length === 0) throw new TaskError('nothing to aggregate', { code: 'BAD_INPUT', retryable: false })
      ctx.reportCost(0.2)
      return { ...aggregateOrders(...lists), sources: lists.length }
    }
  }
}

export function analytics (): AgentSpec {
  return {
    name: 'analytics',
    capabilities: ['analytics'],
    handle: (task, ctx) => {
      const input = taskInput(task)
      if (!Array.isArray(input.records) || typeof input.summary !== 'object' || input.summary === null) {
        throw new TaskError('analytics needs records and summary', { code: 'BAD_INPUT', retryable: false })
      }
      ctx.reportCost(0.4)
      return { summary: input.summary as SalesSummary, report: analyseSales(input.records as Order[], input.summary as SalesSummary) }
    }
  }
}
