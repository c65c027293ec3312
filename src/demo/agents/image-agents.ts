/**
 * The image pipeline's agents: upload (generate a real raster), resize,
 * compress (zlib) and store (to a file, after verifying the bytes).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AgentSpec } from '../../agent-types.ts'
import { TaskError } from '../../errors.ts'
import { compressBytes, decodePpm, decompressBytes, encodePpm, fromDataUrl, generateSunset, resizeRaster, sha256, toDataUrl } from '../raster.ts'
import { taskInput } from './demo-node.ts'

/** Where the storage agent writes images. */
export const STORE_DIR = join(tmpdir(), 'zerostate-demo')

export function uploader (): AgentSpec {
  return {
    name: 'uploader',
    capabilities: ['file-upload'],
    handle: (task, ctx) => {
      const input = taskInput(task)
      const width = Number(input.width ?? 320)
      const height = Number(input.height ?? 240)
      if (!Number.isInteger(width) || !Number.isInteger(height) || width < 8 || height < 8 || width > 512 || height > 512) {
        throw new TaskError('width and height must be integers in 8..512', { code: 'BAD_SIZE', retryable: false })
      }
      const bytes = encodePpm(generateSunset(width, height))
      ctx.reportCost(0.2)
      return { upload_url: toDataUrl(bytes, 'ppm'), format: 'ppm', width, height, bytes: bytes.length, sha256: sha256(bytes) }
    }
  }
}

export function resizer (): AgentSpec {
  return {
    name: 'resizer',
    capabilities: ['image-processing'],
    handle: (task, ctx) => {
      const input = taskInput(task)
      const source = decodeImage(input.image_url)
      const width = Number(input.width ?? Math.round(source.width / 2))
      const height = Number(input.height ?? Math.round(source.height / 2))
      const bytes = encodePpm(resizeRaster(source, width, height))
      ctx.reportCost(0.5)
      return { image_url: toDataUrl(bytes, 'ppm'), width, height, bytes: bytes.length, source_size: `${source.width}x${source.height}` }
    }
  }
}

export function compressor (): AgentSpec {
  return {
    name: 'compressor',
    capabilities: ['image-compression'],
    handle: (task, ctx) => {
      const input = taskInput(task)
      const { bytes, type } = fromDataUrlOrFail(input.image_url)
      if (type !== 'ppm') throw new TaskError('compress takes a PPM image', { code: 'BAD_IMAGE', retryable: false })
      const packed = compressBytes(bytes, Number(input.level ?? 9))
      ctx.reportCost(0.3)
      return { image_url: toDataUrl(packed, 'zlib'), bytes: packed.length, source_bytes: bytes.length, ratio: Math.round(bytes.length / packed.length * 100) / 100 }
    }
  }
}

export function storage (): AgentSpec {
  return {
    name: 'storage',
    capabilities: ['file-storage'],
    handle: async (task, ctx) => {
      const input = taskInput(task)
      const { bytes, type } = fromDataUrlOrFail(input.image_url)
      if (type !== 'zlib') throw new TaskError('store takes a compressed image', { code: 'BAD_IMAGE', retryable: false })
      const image = decodePpm(decompressBytes(bytes))
      const digest = sha256(bytes)
      await mkdir(STORE_DIR, { recursive: true })
      const path = join(STORE_DIR, `${digest.slice(0, 16)}.ppm.zz`)
      await writeFile(path, bytes, { signal: ctx.signal })
      ctx.reportCost(0.1)
      return { path, bytes: bytes.length, sha256: digest, verified: `${image.width}x${image.height} PPM` }
    }
  }
}

function decodeImage (url: unknown): ReturnType<typeof decodePpm> {
  const { bytes, type } = fromDataUrlOrFail(url)
  if (type !== 'ppm') throw new TaskError('resize takes a PPM image', { code: 'BAD_IMAGE', retryable: false })
  try {
    return decodePpm(bytes)
  } catch (err) {
    throw new TaskError((err as Error).message, { code: 'BAD_IMAGE', retryable: false })
  }
}

function fromDataUrlOrFail (url: unknown): ReturnType<typeof fromDataUrl> {
  try {
    return fromDataUrl(url)
  } catch (err) {
    throw new TaskError((err as Error).message, { code: 'BAD_IMAGE', retryable: false })
  }
}
