import { AsyncLocalStorage } from 'node:async_hooks'
import { aroundEach, expect } from 'vitest'
import { type FakeGitHubOptions, FakeGitHub } from '../../simulator/github.js'
import { type SimulatorOptions, Simulator } from '../../simulator/server.js'
import { type StepOptions, type StepResult, runStep } from '../../scripts/local-runner.js'
import { canonical } from '../../src/common/untrusted.js'

export const SERVER_ID = 12345

/**
 * The test running in this async context: its name and what to close after it. The tests of a
 * file run concurrently (vitest.config.ts), so neither vitest's current test nor a list shared by
 * the file's tests tells which test a simulator belongs to; the async context does.
 */
const current = new AsyncLocalStorage<{ name: string; closers: Array<() => Promise<void>> }>()

aroundEach(async (runTest, context) => {
  const closers: Array<() => Promise<void>> = []
  try {
    await current.run({ name: context.task.fullTestName, closers }, runTest)
  } finally {
    await Promise.all(closers.map((close) => close()))
  }
})

function test(): { name: string; closers: Array<() => Promise<void>> } {
  const store = current.getStore()
  if (!store) throw new Error('e2e fixture used outside a test')
  return store
}

/** The running test's name, `describe > test` (what the fault matrix records). */
export function currentTest(): string {
  return test().name
}

/** Closes `close` (a server, a proxy...) once the running test has finished. */
export function afterTest(close: () => Promise<void>): void {
  test().closers.push(close)
}

/**
 * A simulator for one test, closed after it. Restores last long enough (1.5 s) for the first look,
 * a second after the request, to see the server `restoring`: without that evidence the action
 * waits up to 60 s (or its timeout) before it takes an `active` server for restored.
 */
export async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await Simulator.start({ backupDurationMs: 300, restoreDurationMs: 1500, ...options })
  afterTest(() => sim.close())
  return sim
}

/** A fake GitHub API for one test (GITHUB_API_URL: its `url`), closed after it. */
export async function fakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const fake = await FakeGitHub.start(options)
  afterTest(() => fake.close())
  return fake
}

/**
 * Runs a step of the built action against `sim`, as the runner does, and checks what every step
 * must guarantee: the token appears nowhere but in the request (not in the log, the outputs, the
 * state or the summary), and no expected failure prints a stack trace.
 */
export async function step(
  sim: Simulator,
  inputs: Record<string, string> = {},
  options: Omit<StepOptions, 'with'> = {}
): Promise<StepResult> {
  const result = await runStep({
    ...options,
    with: { api_url: sim.url, api_token: sim.token, server_id: String(SERVER_ID), ...inputs }
  })
  const token = inputs.api_token ?? sim.token
  for (const place of token === ''
    ? []
    : [result.log, result.summary, JSON.stringify(result.outputs), JSON.stringify(result.state)]) {
    // Also escaped (`vps&#95;…`), percent-encoded, in another case...
    expect(canonical(place).toLowerCase()).not.toContain(token.toLowerCase())
  }
  // A stack trace, printed as lines, inside a ::debug:: command (newlines escaped as %0A) or
  // folded onto one line.
  expect(result.log).not.toMatch(/(\n|%0A|\s)\s*at .+\(.+:\d+:\d+\)/)
  return result
}

/** The one `::error::` line of a failed step. */
export function errorLine(result: StepResult): string {
  const lines = result.log.split('\n').filter((l) => l.startsWith('::error::'))
  expect(lines).toHaveLength(1)
  return lines[0]!.slice('::error::'.length)
}

export const backupPosts = (sim: Simulator): number => sim.countRequests('POST', '/api/v1/backups/')
export const restorePosts = (sim: Simulator): number =>
  sim.countRequests('POST', `/api/v1/servers/${SERVER_ID}/restore/`)
