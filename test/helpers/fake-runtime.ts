import { MockAgent } from 'undici'
import type { RunContext } from '../../src/github/context.js'
import { parseInputs } from '../../src/inputs/parse.js'
import { type ServerRuntime, createRuntime } from '../../src/runtime/runtime.js'
import type { ServerSeed } from '../../simulator/types.js'
import { type FakeClock, fakeClock } from './fake-clock.js'
import { type MemoryLogger, memoryLogger } from './memory-logger.js'
import { context } from './run-context.js'
import { InProcessApi } from './vpsorg.js'

/** A Runtime over the simulator in-process, for the unit tests of the modes (backup, restore, delete). */

export const TOKEN = 'vps_modes_test_token'
export const RUN = context.runId

export interface Setup {
  /** The step's Runtime as its first server's (serverRuntimes gives a step of several its servers). */
  rt: ServerRuntime
  api: InProcessApi
  clock: FakeClock
  log: MemoryLogger
  /** Cancels the step, as a SIGINT does (aborts its signal). */
  cancel(): void
}

const agents: MockAgent[] = []
/** Closes the MockAgents setup() made: call it in afterEach. */
export async function closeAgents(): Promise<void> {
  await Promise.all(agents.splice(0).map((agent) => agent.close()))
}

/** A Runtime built as run() builds it (createRuntime), over the simulator in-process. */
export function setup(
  inputs: Record<string, string> = {},
  overrides: Partial<RunContext> = {},
  seeds: Record<number, Partial<ServerSeed>> = {},
  world: ConstructorParameters<typeof InProcessApi>[3] = {}
): Setup {
  const clock = fakeClock()
  const api = new InProcessApi(clock, TOKEN, seeds, world)
  const agent = new MockAgent()
  agent.disableNetConnect()
  agents.push(agent)
  api.install(agent)
  const log = memoryLogger()
  const controller = new AbortController()
  const ctx: RunContext = { ...context, runAttempt: 1, ...overrides }
  const values: Record<string, string> = {
    api_token: TOKEN,
    server_id: '12345',
    timeout: '2h',
    ...inputs
  }
  const settings = parseInputs((name) => values[name] ?? '', ctx)
  const step = createRuntime({
    settings,
    context: ctx,
    clock,
    random: () => 0.5,
    signal: controller.signal,
    log,
    dispatcher: agent
  })
  const rt: ServerRuntime = { ...step, serverId: settings.serverIds[0]! }
  return { rt, api, clock, log, cancel: () => controller.abort() }
}
