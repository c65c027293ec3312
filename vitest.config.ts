import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./src/polyfill.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Expected drops in fuzz tests would otherwise log at warn.
    env: { ZEROSTATE_LOG_LEVEL: process.env.ZEROSTATE_LOG_LEVEL ?? 'error' },
    reporters: ['default']
  }
})
