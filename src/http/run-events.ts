/**
 * Server-Sent Events of one run: a `state` event (the run's view without
 * step outputs) each time the run actor's state changes, then one `result`
 * event (the full view) when the run ends, then the stream closes.
 */
import type { ServerResponse } from 'node:http'
import type { HttpNode } from './http-node.ts'
import { findRun, viewRun, type FoundRun, type RunView } from './run-view.ts'

/** An open event stream; `close` ends it (node shutdown). */
export interface RunEventStream {
  close: () => void
  /** Resolves when the stream ended, for whatever reason. */
  closed: Promise<void>
}

/** The part of a chain-run or dag-run actor the stream watches. */
interface WatchableActor {
  getSnapshot: () => { status: string }
  subscribe: (observer: { next: () => void, complete: () => void, error: () => void }) => { unsubscribe: () => void }
}

const FINISHED = new Set(['completed', 'failed', 'cancelled', 'timed_out'])
const KEEPALIVE_MS = 15_000

/**
 * Write the run's events to `res` until it ends or the client goes away.
 *
 * @example
 * ```ts
 * reply.hijack()
 * const stream = streamRunEvents(node, run, reply.raw)
 * ```
 */
export function streamRunEvents (node: Pick<HttpNode, 'chains' | 'dags'>, run: FoundRun, res: ServerResponse): RunEventStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no'
  })
  let seq = 0
  let last = ''
  let ended = false
  let unsubscribe = (): void => {}
  let resolveClosed!: () => void
  const closed = new Promise<void>(resolve => { resolveClosed = resolve })

  const write = (event: string, data: unknown): void => {
    if (ended) return
    seq += 1
    res.write(`id: ${seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  }
  const keepalive = setInterval(() => { if (!ended) res.write(': keep-alive\n\n') }, KEEPALIVE_MS)
  keepalive.unref()

  const end = (): void => {
    if (ended) return
    ended = true
    clearInterval(keepalive)
    unsubscribe()
    res.end()
    resolveClosed()
  }
  const sendState = (view: RunView): void => {
    const text = JSON.stringify(view)
    if (text === last) return
    last = text
    write('state', view)
  }
  const finish = (): void => {
    if (ended) return
    const done = findRun(node, run.info.id)
    const finalRun = done !== undefined && done.kind === run.kind ? done : run
    const view = viewRun(finalRun, { withOutputs: true })
    sendState(viewRun(finalRun, { withOutputs: false }))
    write('result', view)
    end()
  }

  res.on('close', end)
  const current = viewRun(run, { withOutputs: false })
  sendState(current)
  const actor: WatchableActor | undefined = run.info.result === undefined ? run.info.actor : undefined
  if (actor === undefined || actor.getSnapshot().status !== 'active' || FINISHED.has(current.status)) {
    finish()
    return { close: end, closed }
  }
  const subscription = actor.subscribe({
    next: () => { sendState(viewRun(run, { withOutputs: false })) },
    complete: () => { queueMicrotask(finish) },
    error: () => { queueMicrotask(finish) }
  })
  unsubscribe = () => { subscription.unsubscribe() }
  return { close: end, closed }
}
