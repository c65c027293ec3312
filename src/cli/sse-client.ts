/**
 * A small Server-Sent Events reader over fetch, for `zerostate run`, the
 * demo and tests.
 */

/** One event of the stream. */
export interface SseEvent {
  event: string
  data: string
  id?: string
}

/**
 * Parse an SSE byte stream into events (comments and retry lines are skipped).
 *
 * @example
 * ```ts
 * const res = await fetch(`${url}/v1/runs/${id}/events`)
 * for await (const e of readSse(res.body!)) events.push({ event: e.event, data: JSON.parse(e.data) })
 * ```
 */
export async function * readSse (body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  let event = 'message'
  let data: string[] = []
  let id: string | undefined
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true })
    let newline = buffer.search(/\r?\n/)
    while (newline !== -1) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(buffer[newline] === '\r' ? newline + 2 : newline + 1)
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n'), ...(id === undefined ? {} : { id }) }
        event = 'message'
        data = []
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event = value
        else if (field === 'data') data.push(value)
        else if (field === 'id') id = value
      }
      newline = buffer.search(/\r?\n/)
    }
  }
}

/** A run event as the node sends it: `state` (progress) or `result` (the end). */
export interface RunEvent<T = unknown> {
  event: 'state' | 'result'
  data: T
}

/**
 * Follow a run's events on a node's HTTP API until its `result` event.
 *
 * @example
 * ```ts
 * for await (const { event, data } of followRun('http://127.0.0.1:8080', runId)) io.out(`${event}: ${JSON.stringify(data)}`)
 * ```
 */
export async function * followRun<T = unknown> (baseUrl: string, runId: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<RunEvent<T>> {
  const res = await fetch(`${baseUrl}/v1/runs/${encodeURIComponent(runId)}/events`, {
    headers: { accept: 'text/event-stream' },
    ...(options.signal === undefined ? {} : { signal: options.signal })
  })
  if (!res.ok || res.body === null) throw await responseError(res)
  for await (const e of readSse(res.body)) {
    if (e.event !== 'state' && e.event !== 'result') continue
    yield { event: e.event, data: JSON.parse(e.data) as T }
    if (e.event === 'result') return
  }
}

/** An HTTP error answer of the API, as an Error with its `{ code, message, details }`. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: Record<string, unknown>

  constructor (status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

/** Turn a non-2xx response into an {@link ApiError}. */
export async function responseError (res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { code?: unknown, message?: unknown, details?: unknown }
    if (typeof body.code === 'string' && typeof body.message === 'string') {
      return new ApiError(res.status, body.code, body.message, typeof body.details === 'object' && body.details !== null ? body.details as Record<string, unknown> : {})
    }
  } catch {}
  return new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText)
}
