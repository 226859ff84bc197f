import { afterEach, expect } from 'vitest'
import { type SimulatorOptions, Simulator } from '../../simulator/server.js'
import { type StepOptions, type StepResult, runStep } from '../../scripts/local-runner.js'
import { canonical } from '../../src/common/untrusted.js'

export const SERVER_ID = 12345
const started: Simulator[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()))
})

/**
 * A simulator for one test, closed after it. Restores last long enough (1.5 s) for the first look,
 * a second after the request, to see the server `restoring`: without that evidence the action
 * waits up to 60 s (or its timeout) before it takes an `active` server for restored.
 */
export async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await Simulator.start({ backupDurationMs: 300, restoreDurationMs: 1500, ...options })
  started.push(sim)
  return sim
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
