#!/usr/bin/env node
// The `zerostate` command: runs src/cli/main.ts through tsx (no build step).
import { register } from 'tsx/esm/api'

register()
process.env.ZEROSTATE_CLI_MAIN = '1'
await import('../src/cli/main.ts')
