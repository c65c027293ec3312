import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { TallyCounter } from '../../src/metrics/tally-counter.ts'

describe('TallyCounter', () => {
  it('counts per label set and shows the totals in Prometheus text when scraped', async () => {
    const registry = new Registry()
    const c = new TallyCounter({ name: 'x_total', help: 'x', labelNames: ['type', 'reason'], registers: [registry] })
    c.inc({ type: 'a', reason: 'r1' })
    c.inc({ type: 'a', reason: 'r1' }, 2)
    c.inc({ type: 'b', reason: 'r2' })
    const text = await registry.metrics()
    expect(text).toContain('# TYPE x_total counter')
    expect(text).toContain('x_total{type="a",reason="r1"} 3')
    expect(text).toContain('x_total{type="b",reason="r2"} 1')
    c.inc({ type: 'b', reason: 'r2' })
    expect(await registry.metrics()).toContain('x_total{type="b",reason="r2"} 2')
  })

  it('counts without labels too', async () => {
    const registry = new Registry()
    const c = new TallyCounter({ name: 'y_total', help: 'y', registers: [registry] })
    expect(await registry.metrics()).toContain('y_total 0')
    c.inc()
    c.inc()
    expect(await registry.metrics()).toContain('y_total 2')
  })
})
