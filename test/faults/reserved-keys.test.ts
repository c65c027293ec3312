import { describe, expect, it } from 'vitest'
import { isZeroStateError, type InvalidSpecError } from '../../src/errors.ts'
import { parseChain } from '../../src/chains/parse-chain.ts'
import { parseDag } from '../../src/dags/parse-dag.ts'

const agentId = 'did:key:z6MkhbhYEa1YTWa9PWZaX5FfZcVjYCu5uXy3Skp1w2p2ubvx#echo'

function issues (fn: () => unknown): ReadonlyArray<{ path: string, message: string }> {
  try { fn() } catch (err) {
    expect(isZeroStateError(err, 'INVALID_SPEC')).toBe(true)
    return (err as InvalidSpecError).issues
  }
  return []
}

// Specs arrive as JSON (HTTP, workflow files), where "__proto__" is an ordinary own key.
// Written into a plain object it replaced the prototype instead: a DAG node
// with that id ran but vanished from result.nodes, and a mapping to it was lost.
describe('"__proto__" in workflow specs', () => {
  it('is refused as a DAG node id, in list and in map form', () => {
    const list = JSON.parse(`{"id":"d","nodes":[{"id":"__proto__","agent_id":"${agentId}","task_type":"t"}]}`)
    expect(issues(() => parseDag(list)).map(i => i.path)).toContain('nodes[0].id')
    const map = JSON.parse(`{"id":"d","nodes":{"__proto__":{"agent_id":"${agentId}","task_type":"t"}}}`)
    expect(issues(() => parseDag(map)).some(i => /reserved/.test(i.message))).toBe(true)
  })

  it('is refused as a chain step id', () => {
    const spec = JSON.parse(`{"name":"c","steps":[{"id":"__proto__","agent_id":"${agentId}","task_type":"t"}]}`)
    expect(issues(() => parseChain(spec)).map(i => i.path)).toContain('steps[0].id')
  })

  it('is refused as an input mapping target or a part of its source path', () => {
    const target = JSON.parse(`{"name":"c","steps":[{"name":"a","agent_id":"${agentId}","task_type":"t"},{"name":"b","agent_id":"${agentId}","task_type":"t","input_mapping":{"a.x":"__proto__"}}]}`)
    expect(issues(() => parseChain(target)).some(i => /reserved/.test(i.message))).toBe(true)
    const source = JSON.parse(`{"id":"d","nodes":[{"id":"a","agent_id":"${agentId}","task_type":"t"},{"id":"b","agent_id":"${agentId}","task_type":"t","dependencies":["a"],"input_mapping":{"a.__proto__":"x"}}]}`)
    expect(issues(() => parseDag(source)).some(i => /reserved/.test(i.message))).toBe(true)
  })

  it('other names inherited from Object.prototype stay ordinary ids', () => {
    const dag = parseDag({ id: 'd', nodes: [{ id: 'constructor', agent_id: agentId, task_type: 't' }, { id: 'toString', agent_id: agentId, task_type: 't', dependencies: ['constructor'], input_mapping: { 'constructor.x': 'valueOf' } }] })
    expect(dag.nodes.map(n => n.id)).toEqual(['constructor', 'toString'])
  })
})
