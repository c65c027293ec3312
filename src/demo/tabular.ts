/**
 * The data-analysis use case's real work: parse sales orders from CSV
 * (RFC 4180 quoting), JSON and XML, aggregate them, and compute analytics.
 */

/** One sales order, whatever file it came from. */
export interface Order {
  order_id: string
  date: string
  region: string
  customer: string
  product: string
  units: number
  unit_price: number
}

/** Parse CSV with a header row; quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv (text: string): Array<Record<string, string>> {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') { row.push(field); field = '' } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field); field = ''
      if (row.some(f => f !== '')) rows.push(row)
      row = []
    } else field += c
  }
  if (quoted) throw new SyntaxError('CSV ends inside a quoted field')
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row) }
  const [header, ...body] = rows
  if (header === undefined) return []
  return body.map((cells, n) => {
    if (cells.length !== header.length) throw new SyntaxError(`CSV row ${n + 2} has ${cells.length} fields, the header ${header.length}`)
    return Object.fromEntries(header.map((name, j) => [name, cells[j] ?? '']))
  })
}

/** Parse `<order id="...">` elements with one child element per field (entities decoded). */
export function parseOrdersXml (text: string): Array<Record<string, string>> {
  const body = text.replace(/<\?xml[^>]*\?>/g, '').replace(/<!--[\s\S]*?-->/g, '')
  const orders: Array<Record<string, string>> = []
  const orderRe = /<order\b([^>]*)>([\s\S]*?)<\/order>/g
  for (let m = orderRe.exec(body); m !== null; m = orderRe.exec(body)) {
    const record: Record<string, string> = {}
    const attrRe = /(\w+)="([^"]*)"/g
    for (let a = attrRe.exec(m[1] ?? ''); a !== null; a = attrRe.exec(m[1] ?? '')) record[a[1] === 'id' ? 'order_id' : a[1] ?? ''] = decodeEntities(a[2] ?? '')
    const fieldRe = /<(\w+)>([^<]*)<\/\1>/g
    for (let f = fieldRe.exec(m[2] ?? ''); f !== null; f = fieldRe.exec(m[2] ?? '')) record[f[1] ?? ''] = decodeEntities((f[2] ?? '').trim())
    orders.push(record)
  }
  if (orders.length === 0 && /<order\b/.test(body)) throw new SyntaxError('XML has <order> elements that do not close')
  return orders
}

/** Typed orders from parsed records; throws on a missing or non-numeric field. */
export function toOrders (records: ReadonlyArray<Record<string, unknown>>): Order[] {
  return records.map((r, i) => {
    const units = Number(r.units)
    const price = Number(r.unit_price)
    for (const key of ['order_id', 'date', 'region', 'customer', 'product']) {
      if (typeof r[key] !== 'string' || r[key] === '') throw new TypeError(`record ${i}: "${key}" is missing`)
    }
    if (!Number.isFinite(units) || !Number.isFinite(price)) throw new TypeError(`record ${i}: units and unit_price must be numbers`)
    return { order_id: String(r.order_id), date: String(r.date), region: String(r.region), customer: String(r.customer), product: String(r.product), units, unit_price: price }
  })
}

/** Totals of the merged orders. */
export interface SalesSummary {
  orders: number
  units: number
  revenue: number
  by_region: Record<string, number>
  by_product: Record<string, number>
  by_month: Record<string, number>
}

/** Merge order lists and total them by region, product and month. */
export function aggregateOrders (...lists: Order[][]): { records: Order[], summary: SalesSummary } {
  const records = lists.flat().sort((a, b) => a.date.localeCompare(b.date) || a.order_id.localeCompare(b.order_id))
  const summary: SalesSummary = { orders: records.length, units: 0, revenue: 0, by_region: {}, by_product: {}, by_month: {} }
  for (const o of records) {
    const revenue = o.units * o.unit_price
    summary.units += o.units
    summary.revenue += revenue
    add(summary.by_region, o.region, revenue)
    add(summary.by_product, o.product, revenue)
    add(summary.by_month, o.date.slice(0, 7), revenue)
  }
  summary.revenue = round(summary.revenue)
  for (const table of [summary.by_region, summary.by_product, summary.by_month]) for (const k of Object.keys(table)) table[k] = round(table[k] ?? 0)
  return { records, summary }
}

/** What the analytics agent reports. */
export interface SalesAnalytics {
  top_product: { product: string, revenue: number, share: number }
  top_region: { region: string, revenue: number, share: number }
  best_month: { month: string, revenue: number }
  order_value: { mean: number, median: number, stddev: number, max: number }
  /** Revenue growth from the first to the last month, percent. */
  growth_pct: number
  top_customers: Array<{ customer: string, revenue: number }>
}

/** Analytics over the aggregated orders. */
export function analyseSales (records: Order[], summary: SalesSummary): SalesAnalytics {
  const values = records.map(o => o.units * o.unit_price).sort((a, b) => a - b)
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length)
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length)
  const mid = Math.floor(values.length / 2)
  const median = values.length === 0 ? 0 : values.length % 2 === 1 ? values[mid] ?? 0 : ((values[mid - 1] ?? 0) + (values[mid] ?? 0)) / 2
  const [product, productRevenue] = top(summary.by_product)
  const [region, regionRevenue] = top(summary.by_region)
  const [month, monthRevenue] = top(summary.by_month)
  const months = Object.keys(summary.by_month).sort()
  const first = summary.by_month[months[0] ?? ''] ?? 0
  const last = summary.by_month[months.at(-1) ?? ''] ?? 0
  const customers: Record<string, number> = {}
  for (const o of records) add(customers, o.customer, o.units * o.unit_price)
  return {
    top_product: { product, revenue: productRevenue, share: round(productRevenue / summary.revenue) },
    top_region: { region, revenue: regionRevenue, share: round(regionRevenue / summary.revenue) },
    best_month: { month, revenue: monthRevenue },
    order_value: { mean: round(mean), median: round(median), stddev: round(Math.sqrt(variance)), max: round(values.at(-1) ?? 0) },
    growth_pct: first === 0 ? 0 : round((last - first) / first * 100),
    top_customers: Object.entries(customers).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([customer, revenue]) => ({ customer, revenue: round(revenue) }))
  }
}

function top (table: Record<string, number>): [string, number] {
  return Object.entries(table).sort((a, b) => b[1] - a[1])[0] ?? ['-', 0]
}

function add (table: Record<string, number>, key: string, value: number): void {
  table[key] = (table[key] ?? 0) + value
}

function round (v: number): number {
  return Math.round(v * 100) / 100
}

function decodeEntities (s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '')
}
