import { defineConfig } from 'vitest/config'

/**
 * Two projects: `unit` (the core and the simulator, in seconds: test/ but test/e2e) and `e2e` (the built dist/ run as
 * the runner runs it, against the simulator over HTTP, in minutes). `npm test` runs both;
 * `npm run test:unit` and `npm run test:e2e` one each (`--project`).
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // npm run coverage: the unit tests' coverage of the action (the e2e tests run dist/ in child
    // processes, which V8 coverage of this process does not see).
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text', 'text-summary']
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          // In-process and CPU-bound: one worker per core (vitest leaves one core free by default).
          maxWorkers: '100%',
          sequence: { groupOrder: 0 }
        }
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // After the unit tests. Each test runs the action in a child process against its own
          // simulator (an ephemeral port, its own files: fixture.ts) and mostly waits on real
          // time, so the files run side by side and so do the tests of a file, more at once
          // than there are cores.
          maxWorkers: 3,
          sequence: { groupOrder: 1, concurrent: true },
          maxConcurrency: 2,
          // Builds dist/ first when it is older than its sources.
          globalSetup: ['test/e2e/build-dist.ts']
        }
      }
    ]
  }
})
