/**
 * Pure helper shared by the coordination machines: does a holder address
 * belong to a prefix (an agent id, or a node address covering its agents)?
 *
 * @example
 * ```ts
 * holderMatches('did:key:z6Mk#worker', 'did:key:z6Mk') // true: the agent lives on that node
 * holderMatches('did:key:z6Mk#worker', 'did:key:z6Mk#worker') // true
 * holderMatches('did:key:z6Mk#workers', 'did:key:z6Mk#worker') // false
 * ```
 */
export function holderMatches (holder: string, prefix: string): boolean {
  return holder === prefix || (!prefix.includes('#') && holder.startsWith(`${prefix}#`))
}
