import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { compressBytes, decodePpm, decompressBytes, encodePpm, fromDataUrl, generateSunset, resizeRaster, toDataUrl } from '../../src/demo/raster.ts'
import { aggregateOrders, analyseSales, parseCsv, parseOrdersXml, toOrders } from '../../src/demo/tabular.ts'
import { summarise } from '../../src/demo/agents/market-agents.ts'
import { sumMetrics } from '../../src/demo/report.ts'

describe('demo image work', () => {
  it('round-trips a generated raster through PPM, resize, zlib and data: URLs', () => {
    const image = generateSunset(64, 48)
    const ppm = encodePpm(image)
    expect(ppm.length).toBe(64 * 48 * 3 + 'P6\n64 48\n255\n'.length)
    const small = resizeRaster(decodePpm(ppm), 16, 12)
    expect([small.width, small.height, small.pixels.length]).toEqual([16, 12, 16 * 12 * 3])
    const packed = compressBytes(encodePpm(small))
    const back = fromDataUrl(toDataUrl(packed, 'zlib'))
    expect(back.type).toBe('zlib')
    expect(decodePpm(decompressBytes(back.bytes))).toEqual(small)
  })

  it('averages the pixels a target pixel covers', () => {
    const checker = { width: 2, height: 2, pixels: new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0]) }
    expect([...resizeRaster(checker, 1, 1).pixels]).toEqual([128, 128, 128])
  })

  it('rejects what is not a PPM data URL', () => {
    expect(() => fromDataUrl('http://example.com/a.png')).toThrow(/data: URL/)
    expect(() => decodePpm(new Uint8Array([1, 2, 3]))).toThrow(/PPM/)
  })
})

describe('demo data work', () => {
  it('parses quoted CSV fields and XML entities', () => {
    expect(parseCsv('a,b\n"x, ""y""",2\r\n')).toEqual([{ a: 'x, "y"', b: '2' }])
    expect(parseOrdersXml('<orders><order id="1"><customer>A &amp; B</customer></order></orders>')).toEqual([{ order_id: '1', customer: 'A & B' }])
    expect(() => parseCsv('a,b\n1\n')).toThrow(/row 2/)
  })

  it('reads the same order schema from the three shipped files and analyses them', () => {
    const csv = toOrders(parseCsv(readFileSync('data/sales-eu.csv', 'utf8')))
    const json = toOrders((JSON.parse(readFileSync('data/sales-us.json', 'utf8')) as { orders: Array<Record<string, unknown>> }).orders)
    const xml = toOrders(parseOrdersXml(readFileSync('data/sales-apac.xml', 'utf8')))
    expect([csv.length, json.length, xml.length]).toEqual([36, 40, 32])
    expect(csv.some(o => o.customer === 'Müller, GmbH')).toBe(true)
    const { records, summary } = aggregateOrders(csv, json, xml)
    expect(summary.orders).toBe(108)
    expect(Object.keys(summary.by_region).sort()).toEqual(['apac', 'eu', 'us'])
    const report = analyseSales(records, summary)
    expect(report.top_product.revenue).toBe(Math.max(...Object.values(summary.by_product)))
    expect(report.order_value.median).toBeLessThanOrEqual(report.order_value.max)
  })
})

describe('demo report', () => {
  it('sums Prometheus samples over label sets', () => {
    const text = '# HELP x y\nzerostate_a_total{k="1"} 2\nzerostate_a_total{k="2"} 3\nzerostate_b 1.5\n'
    expect(Object.fromEntries(sumMetrics(text))).toEqual({ zerostate_a_total: 5, zerostate_b: 1.5 })
  })

  it('summarises text for the auction', () => {
    expect(summarise('Agents bid. Agents win!')).toMatchObject({ words: 4, sentences: 2, top_words: [['agents', 2], ['bid', 1], ['win', 1]] })
  })
})
