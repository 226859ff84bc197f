import { type FakeJob, type FakeRun, FakeGitHub } from '../../simulator/github.js'
import type { GitHubOptions } from '../../src/github/fetch.js'
import { gitHubReader } from '../../src/github/runs.js'
import { type FakeClock, fakeClock } from './fake-clock.js'
import { type MemoryLogger, memoryLogger } from './memory-logger.js'

/**
 * The GitHub reads of only_if_step_started (github/runs.ts, github/fetch.ts) against the loopback
 * fake GitHub (simulator/github.ts) over real HTTP, on a fake clock: the fakes and the options.
 */

export const TOKEN = 'ghs_UnitTestToken2222222222222222222222'
const fakes: FakeGitHub[] = []
/** Closes every fake GitHub started: each test file's afterEach. */
export async function closeFakes(): Promise<void> {
  await Promise.all(fakes.splice(0).map((f) => f.close()))
}

export const done = {
  status: 'completed',
  conclusion: 'success',
  started_at: '2026-11-27T10:00:00Z'
}
export const job = (name: string, steps: string[], attempt = 1): FakeJob => ({
  name,
  attempt,
  steps: steps.map((step) => ({ name: step, ...done }))
})
export const RUN: FakeRun = {
  id: 555,
  repository: 'acme/shop',
  status: 'completed',
  conclusion: 'cancelled',
  jobs: [job('deploy', ['Back up', 'Deploy']), job('deploy', ['Back up'], 2)]
}

export async function github(options: Partial<Parameters<typeof FakeGitHub.start>[0]> = {}) {
  const fake = await FakeGitHub.start({ token: TOKEN, runs: [RUN], ...options })
  fakes.push(fake)
  return fake
}

export interface Reading {
  clock: FakeClock
  log: MemoryLogger
  controller: AbortController
  options: GitHubOptions
}

export function reading(apiUrl: string, overrides: Partial<GitHubOptions> = {}): Reading {
  const clock = fakeClock()
  const log = memoryLogger()
  const controller = new AbortController()
  const options: GitHubOptions = {
    token: TOKEN,
    repository: 'acme/shop',
    apiUrl,
    signal: controller.signal,
    deadline: clock.now() + 15 * 60_000,
    clock,
    random: () => 0.5,
    log,
    ...overrides
  }
  return { clock, log, controller, options }
}

export const reader = (r: Reading) => gitHubReader(r.options)
