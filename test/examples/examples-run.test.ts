import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

/** The examples users copy from must keep working: run each as a real process. */
describe('examples', () => {
  it('the README embedding example completes its chain across two nodes', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/readme-embedding.ts'], { timeout: 30_000 })
    expect(stdout).toContain("completed { url: 'mem://cat.png?w=256' } 1")
  })

  it('the DAG diamond example completes', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/dag-diamond.ts'], { timeout: 30_000 })
    expect(stdout).toMatch(/completed/)
  })
})
