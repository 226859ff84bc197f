import { EventEmitter } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MockAgent } from 'undici'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Edges, run, runStep } from '../../src/main.js'
import { Simulator } from '../../simulator/server.js'
import { NOT_ARMED } from '../../src/runtime/state.js'
import { fakeClock } from '../helpers/fake-clock.js'
import { memoryEnd } from '../helpers/memory-end.js'
import { memoryLogger } from '../helpers/memory-logger.js'
import { memoryStore } from '../helpers/memory-store.js'
import { context, own } from '../helpers/run-context.js'
import { InProcessApi } from '../helpers/vpsorg.js'

const TOKEN = 'vps_main_test_token_0123456789'
const ROLLBACK = 'rollback_backup_ids'

const agents: MockAgent[] = []
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()))
})

/**
 * A step on in-memory edges, against the simulator in-process: `inputs` over a backup of server
 * 12345, `state` what a main step saved (a post step when it has isPost).
 */
function step(
  inputs: Record<string, string> = {},
  { state = {}, env = {} }: { state?: Record<string, string>; env?: Record<string, string> } = {}
) {
  const clock = fakeClock()
  const api = new InProcessApi(clock, TOKEN)
  const agent = new MockAgent()
  agent.disableNetConnect()
  api.install(agent)
  agents.push(agent)
  // MockAgent implements no destroy(): count the step's (afterEach closes the agent).
  let destroyed = 0
  agent.destroy = (async () => void destroyed++) as MockAgent['destroy']
  const values: Record<string, string> = { api_token: TOKEN, server_id: '12345', ...inputs }
  const store = memoryStore(state)
  const log = memoryLogger()
  const memory = memoryEnd()
  const masked: string[] = []
  const signals = new EventEmitter()
  let dispatchers = 0
  const edges: Edges = {
    read: (name) => values[name] ?? '',
    store,
    setSecret: (secret) => void masked.push(secret),
    log,
    end: memory.end,
    env,
    context: () => context,
    dispatcher: () => {
      dispatchers++
      return agent
    },
    clock,
    random: () => 0.5,
    signals
  }
  return {
    edges,
    api,
    agent,
    store,
    log,
    masked,
    signals,
    clock,
    ...memory,
    dispatchers: () => dispatchers,
    destroyed: () => destroyed,
    run: () => runStep(edges)
  }
}

describe('runStep: the main step', () => {
  it('backs up, writes the outputs and the summary, and marks itself for its post step', async () => {
    const s = step()
    await s.run()
    const id = s.api.model.backups()[0]!.id
    expect(s.outputs).toMatchObject({ backup_id: String(id), status: 'completed' })
    expect(s.summaries).toHaveLength(1)
    expect(s.summaries[0]).toContain('## ✅ VPS.org backup')
    // The backup took the simulator's 3 minutes, on the step's clock.
    expect(s.summaries[0]).toContain('<th align="left">Took</th><td>3m')
    expect(s.summaries[0]).not.toContain('Deleted')
    expect(s.failures).toEqual([])
    expect(s.store.saved).toEqual({ isPost: 'true' })
    expect(s.masked).toEqual([TOKEN])
  })

  it('with rollback_on_failure: arms the rollback as its last act, and says so', async () => {
    const s = step({ rollback_on_failure: 'true' })
    await s.run()
    const id = s.api.model.backups()[0]!.id
    expect(s.store.saved).toEqual({ isPost: 'true', [ROLLBACK]: `{"12345":${id}}` })
    expect(s.summaries[0]).toContain(`post step restores server 12345 from backup ${id}`)
  })

  it('a step that failed arms nothing, and says so', async () => {
    const s = step({ rollback_on_failure: 'true' })
    s.api.hook = (call) =>
      call.method === 'POST' ? { status: 400, body: { detail: 'Disk full' } } : undefined
    await s.run()
    expect(s.failures).toHaveLength(1)
    expect(s.store.saved).toEqual({ isPost: 'true' })
    expect(s.summaries[0]).toContain('## ❌ VPS.org backup')
  })

  it('a step cancelled after its backup completed (in its prune) arms nothing, and says so', async () => {
    const s = step({ rollback_on_failure: 'true', keep_backups: '1' })
    s.api.addBackup({ id: 7, description: own() })
    // Cancelled while it prunes: its deploy never ran.
    s.api.hook = (call) => {
      if (call.method === 'DELETE') s.signals.emit('SIGINT', 'SIGINT')
      return undefined
    }
    await s.run()
    expect(s.failures).toHaveLength(1)
    expect(s.store.saved).toEqual({ isPost: 'true' })
    expect(s.summaries[0]).toContain('No automatic rollback: this step did not succeed')
  })

  it('a backup with keep_backups writes its outputs before the prune starts', async () => {
    const s = step({ keep_backups: '1' })
    s.api.addBackup({ id: 7, description: own() })
    let linesAtOutputs: string[] | undefined
    const setOutput = s.edges.end.setOutput
    s.edges.end.setOutput = (name, value) => {
      linesAtOutputs ??= s.log.lines.map((line) => line.message)
      setOutput(name, value)
    }
    await s.run()
    expect(s.outputs.backup_id).toBeDefined()
    expect(linesAtOutputs).toBeDefined()
    expect(linesAtOutputs).not.toContain('Prune older backups')
    expect(s.log.of('group')).toContain('Prune older backups')
  })

  it('a bad input fails before any request: the summary shows the failure alone', async () => {
    const s = step({ server_id: 'web-1' })
    await s.run()
    expect(s.failures).toHaveLength(1)
    expect(s.failures[0]).toMatch(/^Input 'server_id' /)
    expect(s.summaries).toEqual([
      expect.stringMatching(
        /^## ❌ VPS\.org Backup & Rollback\n\n<p><strong>Failed:<\/strong> Input /
      )
    ])
    expect(s.outputs).toEqual({})
    expect(s.dispatchers()).toBe(0)
    expect(s.store.saved).toEqual({ isPost: 'true' })
  })

  it('removes every secret input from the failure line and the log, though the server echoes it', async () => {
    const s = step()
    s.api.hook = (call) =>
      call.method === 'POST'
        ? { status: 400, body: { detail: `Token ${TOKEN} may not create backups` } }
        : undefined
    await s.run()
    expect(s.failures).toHaveLength(1)
    expect(s.failures[0]).toContain('Token *** may not create backups')
    expect(s.log.text()).not.toContain(TOKEN)
    expect(s.summaries[0]).not.toContain(TOKEN)
  })

  it('a bug fails the step with its message, its stack in the debug log', async () => {
    const s = step()
    s.edges.context = () => {
      throw new TypeError('context is broken')
    }
    await s.run()
    expect(s.failures).toEqual(['context is broken'])
    expect(s.log.of('debug')[0]).toMatch(/^TypeError: context is broken\s+at /)
  })

  it('stops when the workflow is cancelled (SIGINT, SIGTERM), and listens no longer once ended', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const s = step()
      s.api.hook = (call) => {
        if (call.method === 'POST') s.signals.emit(signal, signal)
        return undefined
      }
      await s.run()
      expect(s.log.of('info')).toContain(
        `Received ${signal}: the workflow was cancelled; stopping.`
      )
      expect(s.failures[0]).toMatch(/^The workflow was cancelled\./)
      expect(s.signals.listenerCount('SIGINT')).toBe(0)
      expect(s.signals.listenerCount('SIGTERM')).toBe(0)
    }
  })

  it('closes the dispatcher once the step has ended', async () => {
    const s = step()
    await s.run()
    expect(s.destroyed()).toBe(1)
  })
})

describe('runStep: the post step', () => {
  it('with no rollback armed: says so, and does nothing else', async () => {
    const s = step({ rollback_on_failure: 'true' }, { state: { isPost: 'true' } })
    await s.run()
    expect(s.log.lines).toEqual([{ level: 'info', message: NOT_ARMED }])
    expect(s.outputs).toEqual({})
    expect(s.summaries).toEqual([])
    expect(s.failures).toEqual([])
    expect(s.dispatchers()).toBe(0)
    expect(s.store.saved).toEqual({ isPost: 'true' })
    expect(s.masked).toEqual([TOKEN])
  })

  it('restores the saved backup, and reports it as the automatic rollback', async () => {
    const s = step(
      { rollback_on_failure: 'true' },
      { state: { isPost: 'true', [ROLLBACK]: '{"12345":501}' } }
    )
    s.api.addBackup({ id: 501, description: 'before the deploy' })
    await s.run()
    expect(s.failures).toEqual([])
    expect(s.log.of('warning')).toEqual([
      'The job failed: automatic rollback (rollback_on_failure) restores server 12345 from backup 501, taken before the deploy.'
    ])
    expect(s.api.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    expect(s.outputs).toEqual({})
    expect(s.summaries[0]).toContain('## ✅ Automatic rollback (rollback_on_failure)')
    expect(s.store.saved).toEqual({ isPost: 'true', [ROLLBACK]: '{"12345":501}' })
  })

  it('refuses saved backups that are not server_id’s: one line, no request', async () => {
    const s = step(
      { rollback_on_failure: 'true' },
      { state: { isPost: 'true', [ROLLBACK]: '{"999":501}' } }
    )
    await s.run()
    expect(s.failures).toEqual([
      'No automatic rollback: the saved backups (999: 501) are not those of server_id 12345. Nothing was restored.'
    ])
    expect(s.summaries[0]).toContain('## ❌ Automatic rollback (rollback_on_failure)')
    expect(s.api.requests).toEqual([])
    expect(s.dispatchers()).toBe(0)
  })

  it('refuses when this step is no backup step with rollback_on_failure', async () => {
    const s = step({}, { state: { isPost: 'true', [ROLLBACK]: '{"12345":501}' } })
    await s.run()
    expect(s.failures).toEqual([
      'No automatic rollback: this step is not a backup step with rollback_on_failure: true. Nothing was restored.'
    ])
    expect(s.api.requests).toEqual([])
  })
})

describe('run: the step on the runner’s edges (@actions/core, the process)', () => {
  const saved = { ...process.env }
  let written = ''
  const files = ['GITHUB_STATE', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY'] as const

  // One directory for the file: @actions/core keeps the summary's path once it has read it.
  const dir = mkdtempSync(join(tmpdir(), 'main-run-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  beforeEach(() => {
    for (const name of files) {
      process.env[name] = join(dir, name)
      writeFileSync(process.env[name]!, '')
    }
    written = ''
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written += String(chunk)
      return true
    })
  })

  afterEach(() => {
    vi.restoreAllMocks()
    process.env = { ...saved }
    process.exitCode = undefined
  })

  const file = (name: (typeof files)[number]) => readFileSync(join(dir, name), 'utf8')

  it('reads the inputs as written: a padded backup_id fails, masked, summarised, before any request', async () => {
    Object.assign(process.env, {
      INPUT_API_TOKEN: TOKEN,
      INPUT_SERVER_ID: '12345',
      INPUT_MODE: 'delete',
      INPUT_BACKUP_ID: ' 12 ',
      INPUT_API_URL: 'http://127.0.0.1:9/api/v1',
      INPUT_TIMEOUT: '5s'
    })
    await run()
    expect(written).toContain(`::add-mask::${TOKEN}`)
    expect(written).toMatch(/^::error::Input 'backup_id' .*$/m)
    expect(process.exitCode).toBe(1)
    expect(file('GITHUB_STATE')).toContain('isPost')
    expect(file('GITHUB_STEP_SUMMARY')).toContain(
      '<strong>Failed:</strong> Input &#39;backup&#95;id&#39;'
    )
    expect(file('GITHUB_OUTPUT')).toBe('')
  })

  it('runs a step against VPS.org through the proxy agent, and writes its outputs and summary', async () => {
    const sim = await Simulator.start({})
    try {
      const backup = sim.addBackup({ serverId: 12345, description: 'before the deploy' })
      for (const proxy of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
        delete process.env[proxy]
      }
      Object.assign(process.env, {
        INPUT_API_URL: sim.url,
        INPUT_API_TOKEN: sim.token,
        INPUT_SERVER_ID: '12345',
        INPUT_MODE: 'delete',
        INPUT_BACKUP_ID: String(backup.id)
      })
      await run()
      expect(process.exitCode).toBeUndefined()
      expect(written).not.toContain('::error::')
      expect(sim.backups()).toEqual([])
      expect(file('GITHUB_OUTPUT')).toContain(`backup_id<<`)
      expect(file('GITHUB_STEP_SUMMARY')).toContain('## ✅ VPS.org backup deletion')
      expect(process.listenerCount('SIGINT')).toBe(0)
    } finally {
      await sim.close()
    }
  })

  it('knows its post step by the state the main step saved: with nothing armed, says so', async () => {
    Object.assign(process.env, {
      INPUT_API_TOKEN: TOKEN,
      INPUT_SERVER_ID: '12345',
      STATE_isPost: 'true'
    })
    await run()
    expect(written).toBe(`::add-mask::${TOKEN}\n${NOT_ARMED}\n`)
    expect(process.exitCode).toBeUndefined()
    expect(file('GITHUB_STATE')).toBe('')
  })
})
