/**
 * What a command gets from `main`: where to print, and a signal that fires
 * on SIGINT/SIGTERM.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { CliError } from './cli-errors.ts'

export interface CliIo {
  /** Print one line to stdout. */
  out: (line: string) => void
  /** Print one line to stderr. */
  err: (line: string) => void
  /** Aborted when the process is asked to stop (SIGINT, SIGTERM). */
  signal: AbortSignal
}

/** A subcommand: resolves with the process exit code. */
export interface Command {
  name: string
  summary: string
  usage: string
  run: (args: string[], io: CliIo) => Promise<number>
}

/** `parseArgs` with strict flags, turning its errors into a usage {@link CliError}. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>> (args: string[], options: T, usage: string, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals })
  } catch (err) {
    throw new CliError((err as Error).message, { hint: usage.split('\n')[0] })
  }
}
