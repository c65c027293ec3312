import { describe, expect, it } from 'vitest'
import { startCli } from './cli-process.ts'

describe('zerostate demo', () => {
  it('runs the 3-process mesh to completion, reports every use case and stops every node', async () => {
    const demo = startCli(['demo'])
    const { code } = await demo.exited
    const out = demo.stdout.join('\n')
    expect(code, `${out}\n${demo.stderr.join('\n')}`).toBe(0)
    for (const label of ['node-a', 'node-b', 'node-c']) expect(out).toMatch(new RegExp(`${label} pid \\d+`))
    expect(out).toMatch(/1\. Image pipeline[^\n]*\n\s+OK in/)
    expect(out).toMatch(/image: 320x240 PPM, 230,415 B -> resized 160x120, 57,615 B -> zlib [\d,]+ B/)
    expect(out).toMatch(/stored: \S+\.ppm\.zz \(sha256 [0-9a-f]{12}…, verified 160x120 PPM\)/)
    expect(out).toMatch(/2\. Data analysis[^\n]*\n\s+OK in/)
    expect(out).toMatch(/orders: 108 from 3 files \(CSV, JSON, XML\), revenue \$121,129\.53/)
    expect(out).toMatch(/parallel parsers: up to [23] nodes ran at once/)
    expect(out).toMatch(/3\. Auction[^\n]*\n\s+OK in/)
    expect(out).toMatch(/winner: summarizer-b@node-b \(bid 2\.50\), paid 2\.25/)
    expect(out).toMatch(/4\. Distributed compilation[^\n]*\n\s+OK in/)
    expect(out).toMatch(/linked by compiler-[abc]@node-[abc] holding lock .*every compiler saw the same binary/)
    expect(out).toMatch(/metrics \(summed over all nodes\):\n\s+messages sent [1-9]/)
    expect(out).toContain('4/4 use cases succeeded')
    expect(out).toMatch(/stopped (node-[abc] \(exit 0\)(, )?){3}/)
    const pids = [...out.matchAll(/node-[abc] pid (\d+)/g)].map(m => Number(m[1]))
    expect(pids).toHaveLength(3)
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow()
  }, 60_000)
})
