/**
 * The README's embedding example, runnable: `npx tsx examples/readme-embedding.ts`.
 */
import { createNode } from 'zerostate'

const a = await createNode()
const b = await createNode({ bootstrap: a.multiaddrs.map(String) })

await a.spawnAgent({ name: 'upload', capabilities: ['file-upload'],
  handle: (task, ctx) => { ctx.reportCost(1); return { upload_url: `mem://${task.input.source}` } } })
await b.spawnAgent({ name: 'resize', capabilities: ['image-processing'],
  handle: task => ({ url: `${task.input.image_url}?w=256` }) })
await a.directory.waitFor('image-processing')   // b's heartbeat has reached a

const result = await a.chains.execute({
  name: 'image-pipeline',
  steps: [
    { name: 'upload', capabilities: ['file-upload'], taskType: 'upload', input: { source: 'cat.png' } },
    { name: 'resize', capabilities: ['image-processing'], taskType: 'resize', inputMapping: { upload_url: 'image_url' } }
  ]
})
console.log(result.status, result.output, result.totalCost)  // completed { url: 'mem://cat.png?w=256' } 1

await Promise.all([a.stop(), b.stop()])
