/**
 * Real image bytes for the image pipeline: a generated RGB raster in binary
 * PPM (P6), an area-averaging resize, and zlib compression, carried between
 * agents as `data:` URLs.
 */
import { createHash } from 'node:crypto'
import { deflateSync, inflateSync } from 'node:zlib'

/** An RGB image, 3 bytes per pixel, rows top to bottom. */
export interface Raster {
  width: number
  height: number
  pixels: Uint8Array
}

const PPM_TYPE = 'image/x-portable-pixmap'
const DEFLATE_TYPE = 'application/zlib'

/** A sunset-like picture: a sky gradient, a sun disc and a striped sea. */
export function generateSunset (width: number, height: number): Raster {
  const pixels = new Uint8Array(width * height * 3)
  const sunX = width * 0.65
  const sunY = height * 0.45
  const sunR = Math.min(width, height) * 0.18
  const horizon = Math.floor(height * 0.6)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      let r: number, g: number, b: number
      if (y < horizon) {
        const t = y / horizon
        r = 40 + 215 * t
        g = 20 + 120 * t
        b = 110 - 60 * t
        const d = Math.hypot(x - sunX, y - sunY)
        if (d < sunR) { r = 255; g = 220 - 60 * (d / sunR); b = 80 }
      } else {
        const wave = Math.sin(x / 7 + y * 0.9) > 0.6 ? 40 : 0
        r = 20 + wave
        g = 60 + wave + (y - horizon) * 0.2
        b = 120 + wave
      }
      pixels[i] = clamp(r)
      pixels[i + 1] = clamp(g)
      pixels[i + 2] = clamp(b)
    }
  }
  return { width, height, pixels }
}

/** Shrink (or grow) by averaging the source pixels each target pixel covers. */
export function resizeRaster (source: Raster, width: number, height: number): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 4096 || height > 4096) {
    throw new RangeError(`target size must be 1..4096 pixels each way, got ${width}x${height}`)
  }
  const pixels = new Uint8Array(width * height * 3)
  const sx = source.width / width
  const sy = source.height / height
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * sy)
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy))
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * sx)
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx))
      let r = 0; let g = 0; let b = 0; let n = 0
      for (let yy = y0; yy < y1 && yy < source.height; yy++) {
        for (let xx = x0; xx < x1 && xx < source.width; xx++) {
          const i = (yy * source.width + xx) * 3
          r += source.pixels[i] ?? 0
          g += source.pixels[i + 1] ?? 0
          b += source.pixels[i + 2] ?? 0
          n++
        }
      }
      const o = (y * width + x) * 3
      pixels[o] = Math.round(r / n)
      pixels[o + 1] = Math.round(g / n)
      pixels[o + 2] = Math.round(b / n)
    }
  }
  return { width, height, pixels }
}

/** Binary PPM (P6) bytes of a raster. */
export function encodePpm (raster: Raster): Uint8Array {
  const header = Buffer.from(`P6\n${raster.width} ${raster.height}\n255\n`, 'ascii')
  return Buffer.concat([header, raster.pixels])
}

/** Parse binary PPM (P6, maxval 255). */
export function decodePpm (bytes: Uint8Array): Raster {
  const buf = Buffer.from(bytes)
  const match = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.subarray(0, 64).toString('latin1'))
  if (match === null) throw new TypeError('not a binary PPM (P6, maxval 255) image')
  const width = Number(match[1])
  const height = Number(match[2])
  const pixels = buf.subarray(match[0].length, match[0].length + width * height * 3)
  if (pixels.length !== width * height * 3) throw new TypeError(`PPM data is truncated: ${pixels.length} of ${width * height * 3} bytes`)
  return { width, height, pixels: new Uint8Array(pixels) }
}

/** zlib-compress bytes at `level` (0-9). */
export function compressBytes (bytes: Uint8Array, level = 9): Uint8Array {
  return deflateSync(bytes, { level })
}

/** Undo {@link compressBytes}. */
export function decompressBytes (bytes: Uint8Array): Uint8Array {
  return inflateSync(bytes)
}

/** `data:<type>;base64,<bytes>` */
export function toDataUrl (bytes: Uint8Array, type: 'ppm' | 'zlib'): string {
  return `data:${type === 'ppm' ? PPM_TYPE : DEFLATE_TYPE};base64,${Buffer.from(bytes).toString('base64')}`
}

/** The bytes and kind of a `data:` URL made by {@link toDataUrl}. */
export function fromDataUrl (url: unknown): { bytes: Uint8Array, type: 'ppm' | 'zlib' } {
  if (typeof url !== 'string') throw new TypeError('image_url must be a data: URL string')
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url)
  if (match === null) throw new TypeError('image_url is not a base64 data: URL')
  const type = match[1] === PPM_TYPE ? 'ppm' : match[1] === DEFLATE_TYPE ? 'zlib' : undefined
  if (type === undefined) throw new TypeError(`unsupported image type ${match[1] ?? ''}`)
  return { bytes: new Uint8Array(Buffer.from(match[2] ?? '', 'base64')), type }
}

export function sha256 (bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function clamp (v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)))
}
