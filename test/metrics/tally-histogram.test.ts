import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { TallyHistogram } from '../../src/metrics/tally-histogram.ts'

describe('TallyHistogram', () => {
  it('exposes cumulative buckets, +Inf, sum and count per series in Prometheus text', async () => {
    const registry = new Registry()
    const h = new TallyHistogram({ name: 'x_seconds', help: 'x', labelNames: ['outcome'], buckets: [0.1, 1], registers: [registry] })
    const ok = h.series({ outcome: 'ok' })
    ok(0.05)
    ok(0.5)
    ok(3)
    h.series({ outcome: 'error' })(0.2)
    const text = await registry.metrics()
    expect(text).toContain('# TYPE x_seconds histogram')
    expect(text).toContain('x_seconds_bucket{outcome="ok",le="0.1"} 1')
    expect(text).toContain('x_seconds_bucket{outcome="ok",le="1"} 2')
    expect(text).toContain('x_seconds_bucket{outcome="ok",le="+Inf"} 3')
    expect(text).toContain('x_seconds_sum{outcome="ok"} 3.55')
    expect(text).toContain('x_seconds_count{outcome="ok"} 3')
    expect(text).toContain('x_seconds_count{outcome="error"} 1')
    h.reset()
    expect(await registry.metrics()).toContain('x_seconds_count{outcome="ok"} 0')
  })

  it('observe() files a value under its label set, like series()', async () => {
    const registry = new Registry()
    const h = new TallyHistogram({ name: 'y_seconds', help: 'y', labelNames: ['type'], buckets: [1], registers: [registry] })
    h.observe({ type: 'a' }, 0.5)
    h.observe({ type: 'a' }, 2)
    h.observe({ type: 'b' }, 0.1)
    const text = await registry.metrics()
    expect(text).toContain('y_seconds_count{type="a"} 2')
    expect(text).toContain('y_seconds_bucket{type="a",le="1"} 1')
    expect(text).toContain('y_seconds_count{type="b"} 1')
  })
})

