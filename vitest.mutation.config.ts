import { defineConfig } from 'vitest/config'

/**
 * The unit tests, for mutation testing (stryker.config.json). docs.test.ts is left out: it checks
 * the scripts against src/ read as text, which Stryker rewrites, and guards no module's behaviour.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: ['test/unit/docs.test.ts'],
    testTimeout: 30_000
  }
})
