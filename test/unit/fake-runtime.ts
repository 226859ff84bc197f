import { MockAgent } from 'undici'
import type { RunContext } from '../../src/context.js'
import { parseInputs } from '../../src/inputs.js'
import { type Runtime, createRuntime } from '../../src/runtime.js'
import { type FakeClock, fakeClock } from '../helpers/fake-clock.js'
import { type MemoryLogger, memoryLogger } from '../helpers/memory-logger.js'
import { FakeVpsOrg, type FakeReply } from './fake-vpsorg.js'

/** A Runtime over the fake API, for the unit tests of the modes (backup, restore, delete). */

export const TOKEN = 'vps_modes_test_token'
export const RUN = '9876543210'

export interface Setup {
  rt: Runtime
  api: FakeVpsOrg
  clock: FakeClock
  log: MemoryLogger
}

const agents: MockAgent[] = []
/** Closes the MockAgents setup() made: call it in afterEach. */
export async function closeAgents(): Promise<void> {
  await Promise.all(agents.splice(0).map((agent) => agent.close()))
}

/** A Runtime built as run() builds it (createRuntime), over a FakeVpsOrg. */
export function setup(
  inputs: Record<string, string> = {},
  context: Partial<RunContext> = {}
): Setup {
  const clock = fakeClock()
  const api = new FakeVpsOrg(clock)
  const agent = new MockAgent()
  agent.disableNetConnect()
  agents.push(agent)
  api.install(agent)
  const log = memoryLogger()
  const controller = new AbortController()
  const ctx: RunContext = {
    repository: 'acme/shop',
    sha: '0123456789abcdef0123456789abcdef01234567',
    runId: RUN,
    runAttempt: 1,
    job: 'deploy',
    action: 'backup',
    workflow: 'deploy',
    serverUrl: 'https://github.com',
    apiUrl: 'https://api.github.com',
    nonce: '0a1b2c3d',
    ...context
  }
  const values: Record<string, string> = {
    api_token: TOKEN,
    server_id: '12345',
    timeout: '2h',
    ...inputs
  }
  const settings = parseInputs((name) => values[name] ?? '', ctx)
  const rt = createRuntime({
    settings,
    context: ctx,
    clock,
    random: () => 0.5,
    signal: controller.signal,
    log,
    dispatcher: agent
  })
  return { rt, api, clock, log }
}

/** A dropped connection, as undici reports one. */
export function connectionReset(): Error {
  return Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })
}

/** The API carries out every POST, but its answer is replaced by `reply`. */
export function answerPosts(api: FakeVpsOrg, reply: FakeReply): void {
  api.hook = (request, fake) => {
    if (request.method !== 'POST') return undefined
    fake.handle(request)
    return reply
  }
}
