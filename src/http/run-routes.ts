/**
 * Routes of workflow runs: start chains and DAGs, read, watch and cancel runs.
 */
import type { FastifyInstance } from 'fastify'
import type { HttpNode } from './http-node.ts'
import { HttpError } from './http-errors.ts'
import { streamRunEvents, type RunEventStream } from './run-events.ts'
import { findRun, viewChainResult, viewDagResult, viewRun, type FoundRun } from './run-view.ts'

interface WaitQuery { wait?: boolean }
interface RunParams { id: string }

const waitQuery = {
  type: 'object',
  properties: { wait: { type: 'boolean' } },
  additionalProperties: false
} as const
const runParams = { type: 'object', properties: { id: { type: 'string', minLength: 1 } }, required: ['id'] } as const
const specBody = { type: 'object' } as const

export function registerRunRoutes (server: FastifyInstance, node: HttpNode, streams: Set<RunEventStream>): void {
  server.post<{ Querystring: WaitQuery, Body: Record<string, unknown> }>('/v1/chains', { schema: { querystring: waitQuery, body: specBody } }, async (request, reply) => {
    const run = node.chains.start(request.body)
    if (request.query.wait !== true) return await reply.status(202).send(accepted(run.id, 'chain'))
    return viewChainResult(await run.result)
  })

  server.post<{ Querystring: WaitQuery, Body: Record<string, unknown> }>('/v1/dags', { schema: { querystring: waitQuery, body: specBody } }, async (request, reply) => {
    const run = node.dags.start(request.body)
    if (request.query.wait !== true) return await reply.status(202).send(accepted(run.id, 'dag'))
    return viewDagResult(await run.result)
  })

  server.get<{ Params: RunParams }>('/v1/runs/:id', { schema: { params: runParams } }, async request => {
    return viewRun(mustFind(node, request.params.id))
  })

  server.get<{ Params: RunParams }>('/v1/runs/:id/events', { schema: { params: runParams } }, async (request, reply) => {
    const run = mustFind(node, request.params.id)
    void reply.hijack()
    const stream = streamRunEvents(node, run, reply.raw)
    streams.add(stream)
    void stream.closed.then(() => { streams.delete(stream) })
  })

  server.delete<{ Params: RunParams }>('/v1/runs/:id', { schema: { params: runParams } }, async (request, reply) => {
    const run = mustFind(node, request.params.id)
    const cancelled = run.kind === 'chain'
      ? node.chains.cancel(run.info.id, 'cancelled over HTTP')
      : node.dags.cancel(run.info.id, 'cancelled over HTTP')
    if (!cancelled) throw new HttpError('RUN_FINISHED', `run "${run.info.id}" already ended with status ${run.info.status}`, { id: run.info.id, status: run.info.status })
    return await reply.status(202).send({ id: run.info.id, kind: run.kind, status: 'cancelling', links: links(run.info.id) })
  })
}

function mustFind (node: HttpNode, id: string): FoundRun {
  const run = findRun(node, id)
  if (run === undefined) throw new HttpError('RUN_NOT_FOUND', `no run "${id}" on this node (finished runs are kept for a while, then forgotten)`, { id })
  return run
}

function accepted (id: string, kind: 'chain' | 'dag'): Record<string, unknown> {
  return { id, kind, status: 'running', links: links(id) }
}

function links (id: string): Record<string, string> {
  const self = `/v1/runs/${encodeURIComponent(id)}`
  return { self, events: `${self}/events` }
}
