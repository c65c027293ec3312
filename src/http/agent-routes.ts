/**
 * Routes of agents: the directory, and requests sent to one agent.
 */
import type { FastifyInstance } from 'fastify'
import type { Delivery } from '../envelope-types.ts'
import type { HttpNode } from './http-node.ts'
import { HttpError } from './http-errors.ts'

interface AgentParams { id: string }
interface RequestBody { payload?: unknown, timeout?: number, budget?: number, priority?: number, delivery?: Delivery }

const agentParams = { type: 'object', properties: { id: { type: 'string', minLength: 1 } }, required: ['id'] } as const
const requestBody = {
  type: 'object',
  properties: {
    payload: {},
    timeout: { type: 'integer', minimum: 1, maximum: 600_000 },
    budget: { type: 'number', minimum: 0 },
    priority: { type: 'integer', minimum: 0, maximum: 255 },
    delivery: { type: 'string', enum: ['BEST_EFFORT', 'AT_LEAST_ONCE', 'EXACTLY_ONCE'] }
  },
  additionalProperties: false
} as const

export function registerAgentRoutes (server: FastifyInstance, node: HttpNode): void {
  server.get('/v1/agents', async () => ({ agents: node.directory?.list() ?? [] }))

  server.get<{ Params: AgentParams }>('/v1/agents/:id', { schema: { params: agentParams } }, async request => {
    const agent = node.directory?.get(request.params.id)
    if (agent === undefined) throw unknownAgent(request.params.id)
    return agent
  })

  server.post<{ Params: AgentParams, Body: RequestBody }>('/v1/agents/:id/requests', { schema: { params: agentParams, body: requestBody } }, async request => {
    const { id } = request.params
    if (node.directory !== undefined && node.directory.get(id) === undefined) throw unknownAgent(id)
    const { payload = null, timeout, budget, priority, delivery } = request.body ?? {}
    const reply = await node.bus.call(id, payload, {
      ...(timeout === undefined ? {} : { timeout }),
      ...(budget === undefined ? {} : { budget }),
      ...(priority === undefined ? {} : { priority }),
      ...(delivery === undefined ? {} : { delivery })
    })
    return { agent_id: reply.agentId, payload: reply.payload, cost: reply.cost }
  })
}

function unknownAgent (id: string): HttpError {
  return new HttpError('AGENT_NOT_FOUND', `no live agent "${id}" in this node's directory (GET /v1/agents lists them)`, { id })
}
