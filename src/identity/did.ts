/**
 * Node and agent identity. A node's DID is `did:key:z<base58btc(0xed01 ++ ed25519 public key)>`;
 * an agent's id is that DID plus `#<agent name>`. The hosting node's PeerId is
 * derivable from either, so direct messages need no directory.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { base58btc } from 'multiformats/bases/base58'
import type { PeerId, PublicKey } from '@libp2p/interface'
import { ZeroStateError } from '../errors.ts'

const DID_PREFIX = 'did:key:'
const ED25519_MULTICODEC = [0xed, 0x01]
/** Raw Ed25519 public key length. */
export const NODE_KEY_BYTES = 32
/** Agent names: 1-64 characters from this set. */
const AGENT_NAME = /^[A-Za-z0-9._~-]{1,64}$/

/** A parsed node or agent address. */
export interface ParsedAddress {
  /** `did:key:...` of the node. */
  nodeDid: string
  /** Raw 32-byte Ed25519 public key of the node. */
  nodeKey: Uint8Array
  /** Agent name, or '' for the node itself. */
  agent: string
  /** The node's PeerId as a string. */
  peerId: string
}

/** `did:key:` of a raw Ed25519 public key. */
export function didFromPublicKey (raw: Uint8Array): string {
  const bytes = new Uint8Array(2 + raw.length)
  bytes.set(ED25519_MULTICODEC, 0)
  bytes.set(raw, 2)
  return DID_PREFIX + base58btc.encode(bytes)
}

/** Raw public key bytes of a node DID, or a typed error. */
export function publicKeyFromDid (did: string): Uint8Array {
  if (!did.startsWith(DID_PREFIX + 'z')) throw invalidAddress(did, 'not a did:key with a base58btc key')
  let bytes: Uint8Array
  try {
    bytes = base58btc.decode(did.slice(DID_PREFIX.length))
  } catch (cause) {
    throw invalidAddress(did, 'bad base58btc', cause)
  }
  if (bytes.length !== 2 + NODE_KEY_BYTES || bytes[0] !== ED25519_MULTICODEC[0] || bytes[1] !== ED25519_MULTICODEC[1]) {
    throw invalidAddress(did, 'not an Ed25519 did:key')
  }
  return bytes.subarray(2)
}

/** PeerId of a raw Ed25519 public key. */
export function peerIdFromRawKey (raw: Uint8Array): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(raw))
}

/** libp2p public key object of a raw Ed25519 key. */
export function publicKeyObject (raw: Uint8Array): PublicKey {
  return publicKeyFromRaw(raw)
}

/** True when `name` is a valid agent name. */
export function isValidAgentName (name: string): boolean {
  if (validNames.has(name)) return true
  if (!AGENT_NAME.test(name)) return false
  if (validNames.size >= 4096) validNames.clear()
  validNames.add(name)
  return true
}

/** Memo of names already checked (a pure function's cache; agent names repeat on the hot path). */
const validNames = new Set<string>()

/** `did:key:<node>#<agent>`. */
export function agentAddress (nodeDid: string, agent: string): string {
  return agent === '' ? nodeDid : `${nodeDid}#${agent}`
}

const CACHE_LIMIT = 4096

/**
 * A bounded parse cache; one per node (no module-level state shared between
 * nodes beyond pure computation).
 */
export class AddressBook {
  private readonly parsed = new Map<string, ParsedAddress>()

  /** Parse (and cache) an address; throws INVALID_ADDRESS. */
  parse (address: string): ParsedAddress {
    const hit = this.parsed.get(address)
    if (hit !== undefined) return hit
    const value = parseAddress(address)
    if (this.parsed.size >= CACHE_LIMIT) this.parsed.clear()
    this.parsed.set(address, value)
    return value
  }
}

/** Parse a node or agent address; throws INVALID_ADDRESS. */
export function parseAddress (address: string): ParsedAddress {
  const hash = address.indexOf('#')
  const nodeDid = hash === -1 ? address : address.slice(0, hash)
  const agent = hash === -1 ? '' : address.slice(hash + 1)
  if (hash !== -1 && !isValidAgentName(agent)) throw invalidAddress(address, 'bad agent name')
  const nodeKey = publicKeyFromDid(nodeDid)
  return { nodeDid, nodeKey, agent, peerId: peerIdFromRawKey(nodeKey).toString() }
}

function invalidAddress (address: string, why: string, cause?: unknown): ZeroStateError {
  return new ZeroStateError('INVALID_ADDRESS', `invalid address "${address.slice(0, 120)}": ${why}`, cause === undefined ? {} : { cause })
}

