/**
 * The HTTP API of a node (fastify): start chains and DAGs, watch and cancel
 * runs, list agents and send them requests, Prometheus metrics, health.
 * See docs/HTTP_API.md.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import type { HttpNode } from './http-node.ts'
import { HttpError, toHttpError } from './http-errors.ts'
import { registerAgentRoutes } from './agent-routes.ts'
import { registerRunRoutes } from './run-routes.ts'
import type { RunEventStream } from './run-events.ts'

/** Options of {@link createHttpApi}. */
export interface HttpApiInit {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string
  /** Largest accepted request body, bytes. Default 1 MiB. */
  bodyLimit?: number
  signal?: AbortSignal
}

/** A listening HTTP API. */
export interface HttpApi {
  /** `http://<host>:<port>` */
  readonly url: string
  readonly port: number
  readonly host: string
  /** The fastify instance (to add routes or use `inject` in tests). */
  readonly server: FastifyInstance
  /** Stop accepting requests, answer the ones in flight, end event streams. */
  close: (options?: { signal?: AbortSignal }) => Promise<void>
}

/**
 * Serve `node` over HTTP.
 *
 * @example
 * ```ts
 * const node = await createNode()
 * const api = await createHttpApi(node, { port: 8080 })
 * const chainsUrl = `${api.url}/v1/chains` // POST chain specs here
 * process.once('SIGTERM', async () => { await api.close(); await node.stop() })
 * ```
 */
export async function createHttpApi (node: HttpNode, init: HttpApiInit = {}): Promise<HttpApi> {
  const host = init.host ?? '127.0.0.1'
  const server = Fastify({
    bodyLimit: init.bodyLimit ?? 1024 * 1024,
    loggerInstance: node.logger.child({ service: 'http' }) as FastifyBaseLogger,
    disableRequestLogging: true,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors fastify raises before routing (a malformed URL, a bad content type) get our error body too.
    frameworkErrors: (err, _request, reply) => {
      const { status, body } = toHttpError(err)
      // The reply is typed for the route schema fastify has not resolved yet here.
      void (reply as unknown as FastifyReply).status(status < 500 ? status : 400).send(body)
    }
  })
  const streams = new Set<RunEventStream>()

  server.setErrorHandler((err, request, reply) => {
    const { status, body } = toHttpError(err)
    if (status >= 500) request.log.warn({ err, url: request.url }, 'request failed')
    void reply.status(status).send(body)
  })
  server.setNotFoundHandler((request, reply) => {
    const { status, body } = toHttpError(new HttpError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`))
    void reply.status(status).send(body)
  })
  // Answers sent while closing end their keep-alive connection, so close() does not wait on idle clients.
  let closingDown = false
  server.addHook('onSend', async (_request, reply, payload) => {
    if (closingDown) void reply.header('connection', 'close')
    return payload
  })
  server.addHook('preClose', async () => {
    closingDown = true
    for (const stream of [...streams]) stream.close()
  })

  server.get('/healthz', async () => ({
    status: 'ok',
    peer_id: node.peerId,
    did: node.did,
    multiaddrs: node.multiaddrs.map(String),
    agents: node.directory?.list().length ?? 0
  }))
  server.get('/metrics', async (_request, reply) => {
    const text = await node.registry.metrics()
    void reply.header('content-type', node.registry.contentType)
    return text
  })
  registerRunRoutes(server, node, streams)
  registerAgentRoutes(server, node)

  init.signal?.throwIfAborted()
  await server.listen({ port: init.port ?? 0, host })
  const address = server.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : init.port ?? 0
  const urlHost = host.includes(':') ? `[${host}]` : host
  let closing: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    server,
    close: async (options = {}) => {
      closing ??= server.close()
      const { signal } = options
      if (signal === undefined) return await closing
      signal.throwIfAborted()
      await Promise.race([closing, new Promise<never>((_resolve, reject) => {
        signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
      })])
    }
  }
}
