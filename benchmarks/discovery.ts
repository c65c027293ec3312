/**
 * Discovery benchmark, on real nodes over 127.0.0.1:
 * - spawn -> discoverable: time from `spawnAgent` on node 2 until node 1's
 *   directory lists the agent (and stop -> gone), p50/p95 over repeated spawns;
 * - selection overhead: sequential requests to the same agents by id and by
 *   capability (first, least-loaded), measured in the same run, for agents on
 *   the requesting node and on another node.
 *
 *   npx tsx benchmarks/discovery.ts [spawns] [requests]
 */
import '../src/polyfill.ts'
import { pino } from 'pino'
import { percentile, round } from './bench-util.ts'
import { attachDiscovery, type NodeDiscovery } from '../src/discovery/attach-discovery.ts'
import type { Reply } from '../src/bus-types.ts'
import type { CapabilityCaller } from '../src/messaging/message-bus.ts'
import { createBaseNode, type BaseNode } from '../src/node/create-node.ts'

export interface DiscoveryBenchOptions {
  /** Agents spawned (and stopped) one after the other. Default 20. */
  spawns?: number
  /** Sequential requests per selection case. Default 2000. */
  requests?: number
  /** Heartbeat interval of the nodes, ms (announcements on spawn/stop do not wait for it). Default 1000. */
  heartbeatMs?: number
}

interface BenchNode { base: BaseNode, discovery: NodeDiscovery, caller: CapabilityCaller }

/**
 * Run the benchmark and return one row per case.
 *
 * @example
 * ```ts
 * console.table(await benchDiscovery({ spawns: 20 }))
 * ```
 */
export async function benchDiscovery (options: DiscoveryBenchOptions = {}): Promise<Array<Record<string, unknown>>> {
  const spawns = options.spawns ?? 20
  const requests = options.requests ?? 1000
  const heartbeatMs = options.heartbeatMs ?? 1000
  const logger = pino({ level: 'silent' })
  const nodes: BenchNode[] = []
  try {
    for (let i = 0; i < 2; i++) {
      const base = await createBaseNode({ logger, bootstrap: i === 0 ? [] : nodes[0]!.base.multiaddrs.map(String) })
      // keep the installed caller, to time selection without the request itself
      let caller: CapabilityCaller | undefined
      const install = base.internals.setCapabilityCaller
      base.internals.setCapabilityCaller = c => { caller = c; install(c) }
      const discovery = attachDiscovery(base, { heartbeatMs })
      if (caller === undefined) throw new Error('discovery installed no capability caller')
      nodes.push({ base, discovery, caller })
    }
    const [n1, n2] = nodes as [BenchNode, BenchNode]
    // mesh formed: a first agent travels end to end
    const probe = await n2.base.spawnAgent({ name: 'probe', capabilities: ['probe'], handle: () => null })
    await seen(n1.discovery, probe.id, 'added', 10_000)
    await probe.stop()
    await seen(n1.discovery, probe.id, 'removed', 10_000)

    const up: number[] = []
    const down: number[] = []
    for (let i = 0; i < spawns; i++) {
      const id = `${n2.base.did}#s${i}`
      const added = seen(n1.discovery, id, 'added', 10_000)
      const start = performance.now()
      const agent = await n2.base.spawnAgent({ name: `s${i}`, capabilities: ['spawned'], handle: () => null })
      await added
      up.push(performance.now() - start)
      const removed = seen(n1.discovery, id, 'removed', 10_000)
      const stopAt = performance.now()
      await agent.stop()
      await removed
      down.push(performance.now() - stopAt)
    }
    const rows: Array<Record<string, unknown>> = [
      { case: 'spawn -> discoverable on another node', n: spawns, p50Ms: round(percentile(up.sort((a, b) => a - b), 0.5), 2), p95Ms: round(percentile(up, 0.95), 2), heartbeatMs },
      { case: 'stop -> gone on another node', n: spawns, p50Ms: round(percentile(down.sort((a, b) => a - b), 0.5), 2), p95Ms: round(percentile(down, 0.95), 2), heartbeatMs }
    ]

    for (const [where, host] of [['local', n1], ['remote', n2]] as const) {
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        const agent = await host.base.spawnAgent({ name: `echo-${where}-${i}`, capabilities: [`echo-${where}`], concurrency: 4, handle: (t: unknown) => t })
        ids.push(agent.id)
      }
      await waitUntil(() => n1.discovery.directory.find(`echo-${where}`).length === 3, 10_000)
      const cases: Array<[string, () => Promise<unknown>]> = []
      let k = 0
      cases.push(['by id', async () => await n1.base.bus.request(ids[k++ % 3]!, k)])
      for (const strategy of ['first', 'least-loaded']) {
        cases.push([`by capability (${strategy})`, async () => await n1.base.bus.request({ capability: `echo-${where}`, strategy }, k)])
      }
      const best = new Map<string, number>()
      // interleaved rounds, best of 3, so warm-up and GC do not favour one case
      for (let round = 0; round < 3; round++) {
        for (const [name, once] of cases) {
          for (let i = 0; i < Math.min(200, requests); i++) await once()
          const start = performance.now()
          for (let i = 0; i < requests; i++) await once()
          best.set(name, Math.min(best.get(name) ?? Infinity, performance.now() - start))
        }
      }
      const byId = best.get('by id')! * 1000 / requests
      for (const [name, ms] of best) {
        const us = ms * 1000 / requests
        rows.push({ case: `${where} agents, ${name}`, n: requests, usPerRequest: round(us, 2), overheadUs: round(us - byId, 2) })
      }
      // the selection step alone: the installed caller with a send that answers at once
      const answer = async (agentId: string): Promise<Reply> => ({ payload: null, cost: 0, agentId })
      for (const strategy of ['first', 'least-loaded']) {
        const target = { capability: `echo-${where}`, strategy }
        const n = requests * 20
        let fastest = Infinity
        for (let round = 0; round < 3; round++) {
          const start = performance.now()
          for (let i = 0; i < n; i++) await n1.caller(target, answer, {})
          fastest = Math.min(fastest, performance.now() - start)
        }
        rows.push({ case: `${where} agents, selection alone (${strategy}, 3 candidates)`, n, usPerRequest: round(fastest * 1000 / n, 2) })
      }
    }
    return rows
  } finally {
    await Promise.allSettled(nodes.map(async n => { await n.base.stop({ timeout: 500 }) }))
  }
}

async function seen (discovery: NodeDiscovery, id: string, type: 'added' | 'removed', timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`${id} not ${type} within ${timeoutMs} ms`)) }, timeoutMs)
    const off = discovery.directory.on('change', change => {
      if (change.type === type && change.entry.id === id) { clearTimeout(timer); off(); resolve() }
    })
  })
}

async function waitUntil (condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => { setTimeout(resolve, 10) })
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const spawns = process.argv[2] === undefined ? undefined : Number(process.argv[2])
  const requests = process.argv[3] === undefined ? undefined : Number(process.argv[3])
  const rows = await benchDiscovery({ ...(spawns === undefined ? {} : { spawns }), ...(requests === undefined ? {} : { requests }) })
  console.log(`discovery benchmark (node ${process.version})`)
  console.table(rows)
}
