import { defineConfig } from 'vitest/config'

/**
 * The unit tests, for mutation testing (stryker.config.json). The scripts' tests (test/scripts) are
 * left out: they check the scripts and src/ read as text, which Stryker rewrites, and guard no
 * module's behaviour.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 30_000
  }
})
