/**
 * A node's stable identity on disk: the libp2p private key (protobuf,
 * base64 text), created with mode 0600 when the file is missing.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { CliError } from './cli-errors.ts'

/**
 * Read the key at `file`, or create it.
 *
 * @example
 * ```ts
 * const node = await createNode({ privateKey: await loadOrCreateKey('./node.key') })
 * ```
 */
export async function loadOrCreateKey (file: string, options: { signal?: AbortSignal } = {}): Promise<{ key: PrivateKey, created: boolean }> {
  let text: string | undefined
  try {
    text = await readFile(file, { encoding: 'utf8', ...(options.signal === undefined ? {} : { signal: options.signal }) })
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw new CliError(`cannot read the key file ${file}: ${(err as Error).message}`, { cause: err })
  }
  if (text !== undefined) {
    try {
      return { key: privateKeyFromProtobuf(Buffer.from(text.trim(), 'base64')), created: false }
    } catch (err) {
      throw new CliError(`${file} does not hold a node key`, { hint: 'remove it to create a fresh identity', cause: err })
    }
  }
  const key = await generateKeyPair('Ed25519')
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, `${Buffer.from(privateKeyToProtobuf(key)).toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  return { key, created: true }
}
