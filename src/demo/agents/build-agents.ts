/**
 * Distributed compilation: each compiler "compiles" one real source file of
 * this repository (hashes it and counts its tokens), records the object in
 * shared state, waits at a barrier for the others, then takes the link lock:
 * whoever gets it first links all objects; the others find the link done.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AgentSpec } from '../../agent-types.ts'
import { TaskError } from '../../errors.ts'
import { sha256 } from '../raster.ts'
import { taskInput, type DemoNode } from './demo-node.ts'

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

interface ObjectFile { hash: string, tokens: number, bytes: number, by: string }
interface LinkRecord { hash: string, by: string, fencing_token: number, modules: string[] }

export function compiler (name: string, node: DemoNode): AgentSpec {
  return {
    name,
    capabilities: ['compile'],
    handle: async (task, ctx) => {
      const input = taskInput(task)
      const module = String(input.module ?? '')
      const build = String(input.build_id ?? '')
      const parties = Number(input.parties ?? 3)
      if (!/^src\/[\w./-]+\.ts$/.test(module) || normalize(module).startsWith('..')) throw new TaskError('module must be a .ts file under src/', { code: 'BAD_INPUT', retryable: false })
      if (build === '') throw new TaskError('build_id is required', { code: 'BAD_INPUT', retryable: false })
      const me = ctx.bus.address
      const coordination = node.coordinationFor?.(me) ?? node.coordination
      if (coordination === undefined) throw new TaskError('this node has no coordination', { code: 'NO_COORDINATION', retryable: false })
      const options = { signal: ctx.signal }

      const compileStart = Date.now()
      const source = await readFile(join(REPO_ROOT, module), { encoding: 'utf8', signal: ctx.signal })
      const tokens = source.match(/[A-Za-z_$][\w$]*|\d+|[^\s\w]/g)?.length ?? 0
      const object: ObjectFile = { hash: sha256(`${module}\n${source}`), tokens, bytes: Buffer.byteLength(source), by: me }
      await coordination.updateState(`build:${build}`, module, object, options)
      const compileMs = Date.now() - compileStart

      const barrierStart = Date.now()
      const release = await coordination.waitAtBarrier(`build:${build}:compiled`, parties, { timeout: 10_000, ...options })
      const barrierMs = Date.now() - barrierStart

      const lock = await coordination.acquireLock(`build:${build}:link`, { ttl: 5000, timeout: 10_000, ...options })
      let linkedByMe = false
      let link: LinkRecord
      try {
        const state = await coordination.getState<Record<string, unknown>>(`build:${build}`, options)
        const existing = state?.value.__link as LinkRecord | undefined
        if (existing !== undefined) {
          link = existing
        } else {
          const objects = Object.entries(state?.value ?? {}).filter(([key]) => !key.startsWith('__')).sort(([a], [b]) => a.localeCompare(b))
          link = { hash: sha256(objects.map(([m, o]) => `${m}:${(o as ObjectFile).hash}`).join('\n')), by: me, fencing_token: lock.fencingToken, modules: objects.map(([m]) => m) }
          await coordination.updateState(`build:${build}`, '__link', link, options)
          linkedByMe = true
        }
      } finally {
        await coordination.releaseLock(lock.token).catch(() => {})
      }
      ctx.reportCost(0.25 + (linkedByMe ? 0.5 : 0))
      return { module, object, compile_ms: compileMs, barrier_ms: barrierMs, barrier_generation: release.generation, linked_by_me: linkedByMe, link }
    }
  }
}
