import { describe, expect, it } from 'vitest'
import type { EchoEncoding, EchoPlace, Simulator } from '../../simulator/server.js'
import type { StepResult } from '../../scripts/local-runner.js'
import { recorder } from '../../scripts/fault-matrix.js'
import * as fixture from './fixture.js'
import { SERVER_ID, currentTest, errorLine, restorePosts } from './fixture.js'

/*
 * A hostile or echoing API, end to end through dist/index.js: server
 * text never becomes a workflow command, Markdown or a multi-line output; the token never comes
 * back out in any encoding; nothing the server sends crashes the step; every listing ends.
 */

// Every step is recorded for the fault matrix (scripts/fault-matrix.ts, RELIABILITY.md).
const { sim: simulator, run: step } = recorder('test/e2e/hostile.test.ts', {
  ...fixture,
  currentTest
})
const BACKUPS = '/api/v1/backups/'
const SERVER = `/api/v1/servers/${SERVER_ID}/`

/** Workflow commands, Markdown and HTML, each behind a line break of another kind. */
const HOSTILE = [
  'desc\n::error::PWN-error',
  '\r\n  ::add-mask::PWN-mask',
  '\n::stop-commands::PWN-stop',
  '\u2028::save-state name=rollback_backup_ids::{"12345":999}',
  ' ##[error]PWN-legacy',
  '\n\n# PWN heading\n\n[PWN link](https://evil.example) <script>alert(1)</script>',
  '\u202e bidi'
].join('')

/** The commands this action issues itself; anything else starting a line would be injected. */
const OWN_COMMANDS = /^::(debug|warning|error|group|endgroup)::/

/** No workflow command from server text reached the log, in any form the runner reads. */
function expectNoInjectedCommand(result: StepResult): void {
  const lines = result.log.split('\n')
  for (const line of lines) {
    const trimmed = line.trim()
    if (trimmed.startsWith('::')) expect(trimmed).toMatch(OWN_COMMANDS)
    if (/^::(error|warning)::/.test(trimmed)) expect(trimmed).not.toMatch(/^::\w+::PWN/)
  }
  expect(result.log).not.toContain('##[')
  expect(result.masks.map((m) => m.value)).not.toContainEqual(expect.stringContaining('PWN'))
  expect(JSON.stringify(result.state)).not.toContain('999')
}

/** The summary's table is whole, and no heading, link or markup came from server text. */
function expectSafeSummary(result: StepResult): void {
  const { summary } = result
  expect(summary).not.toMatch(/^#+ PWN/m)
  expect(summary).not.toContain('](')
  expect(summary).not.toContain('<script')
  const table = summary.slice(summary.indexOf('<table>'), summary.indexOf('</table>'))
  expect(table).not.toMatch(/\n\s*\n/)
}

function expectOneLineOutputs(result: StepResult): void {
  for (const value of Object.values(result.outputs)) expect(value).not.toMatch(/[\r\n]/)
}

const warnings = (result: StepResult): string[] =>
  result.log.split('\n').filter((line) => line.startsWith('::warning::'))

describe('the token is masked before anything else is printed', () => {
  it.each([
    ['a backup step', {}],
    ['a step with a bad input', { server_id: 'abc' }]
  ])('%s: ::add-mask:: is its first output', async (_, inputs) => {
    const sim = await simulator()
    const result = await step(sim, inputs)
    expect(result.masks[0]).toEqual({ value: sim.token, offset: 0 })
  })

  it('the post step: ::add-mask:: is its first output', async () => {
    const sim = await simulator()
    const main = await step(sim, { rollback_on_failure: 'true' })
    const post = await step(sim, { rollback_on_failure: 'true' }, { post: { state: main.state } })
    expect(post.exitCode).toBe(0)
    expect(post.masks[0]).toEqual({ value: sim.token, offset: 0 })
  })
})

describe('an echoing server or proxy: the token never comes back out', () => {
  const places: EchoPlace[] = ['detail', 'field', 'html', 'location']
  const encodings: EchoEncoding[] = ['raw', 'html', 'percent', 'json', 'upper', 'base64']
  const cases = places.flatMap((place) => encodings.map((encoding) => [place, encoding] as const))

  it.each(cases)('echoed in the %s, %s: scrubbed from log and summary', async (place, encoding) => {
    const sim = await simulator()
    sim.inject({ method: 'GET', path: BACKUPS, fault: { kind: 'echo', place, encoding } })
    const result = await step(sim)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain('***')
    // step() checks the token, decoded from any text encoding; base64 is checked here.
    const base64 = Buffer.from(`Bearer ${sim.token}`).toString('base64').slice(12, 28)
    for (const place of [result.log, result.summary]) expect(place).not.toContain(base64)
    expect(sim.backups()).toEqual([])
  })
})

describe('hostile strings in every field the action shows', () => {
  it('backup mode: no command, no Markdown, outputs checked, the step succeeds', async () => {
    const sim = await simulator()
    const fields = {
      description: HOSTILE,
      'server.name': HOSTILE,
      created_at: `2025-01-16T15:45:00Z${HOSTILE}`,
      size_mb: { toString: 1 }
    }
    sim.inject({
      method: 'GET',
      path: BACKUPS,
      times: Infinity,
      fault: { kind: 'override', fields }
    })
    const create = { ...fields, status: `in_progress${HOSTILE}` }
    sim.inject({ method: 'POST', path: BACKUPS, fault: { kind: 'override', fields: create } })
    const result = await step(sim, { keep_backups: '2' })
    expect(result.exitCode).toBe(0)
    expectNoInjectedCommand(result)
    expectSafeSummary(result)
    expectOneLineOutputs(result)
    expect(result.outputs.backup_id).toBe(String(sim.backups()[0]!.id))
    expect(result.outputs.status).toBe('completed')
    for (const name of ['created_at', 'size_mb', 'server_name']) {
      expect(result.outputs[name]).toBeUndefined()
      expect(warnings(result).some((w) => w.includes(`Output ${name} is not set`))).toBe(true)
    }
  })

  it('restore mode: the server name and status are shown safely', async () => {
    const sim = await simulator()
    const backup = sim.addBackup({ serverId: SERVER_ID, description: HOSTILE })
    const fields = { name: HOSTILE, updated_at: HOSTILE }
    sim.inject({
      method: 'GET',
      path: SERVER,
      times: Infinity,
      fault: { kind: 'override', fields }
    })
    const result = await step(sim, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(0)
    expect(restorePosts(sim)).toBe(1)
    expectNoInjectedCommand(result)
    expectSafeSummary(result)
    expectOneLineOutputs(result)
    expect(result.outputs.status).toBe('active')
  })

  it('a failing step: the error line carries the server text neutralised', async () => {
    const sim = await simulator()
    const body = JSON.stringify({ detail: HOSTILE })
    sim.inject({ method: 'GET', path: BACKUPS, fault: { kind: 'status', status: 400, body } })
    const result = await step(sim)
    expect(result.exitCode).toBe(1)
    expectNoInjectedCommand(result)
    expectSafeSummary(result)
    expect(errorLine(result)).toContain('HTTP 400')
  })
})

describe('bounds and small lies', () => {
  it.each([
    ['fast: ends at the bound on pages', { padding: 1000 }, 60, /list goes on after 1000 pages/],
    ['slow: ends at the timeout', { ms: 20 }, 5, /did not end within timeout after \d+ pages/]
  ])('endless distinct pages, %s, with a clear message', async (_, fault, seconds, expected) => {
    const sim = await simulator()
    sim.inject({ path: BACKUPS, times: Infinity, fault: { kind: 'endless-pages', ...fault } })
    const result = await step(sim, { timeout: `${seconds}s` })
    expect(result.exitCode).toBe(1)
    expect(result.durationMs).toBeLessThan((seconds + 4) * 1000)
    expect(errorLine(result)).toMatch(/^Could not list the backups of server 12345: /)
    expect(errorLine(result)).toMatch(expected)
  })

  it('JSON with a byte-order mark is accepted', async () => {
    const sim = await simulator()
    const body = '\uFEFF{"count": 0, "next": null, "previous": null, "results": []}'
    const headers = { 'content-type': 'application/json' }
    sim.inject({
      method: 'GET',
      path: BACKUPS,
      fault: { kind: 'status', status: 200, headers, body }
    })
    const result = await step(sim)
    expect(result.exitCode).toBe(0)
    expect(sim.backups()).toHaveLength(1)
  })

  it('304 is named for what it is, not a redirect to nowhere', async () => {
    const sim = await simulator()
    sim.inject({ method: 'GET', path: BACKUPS, fault: { kind: 'status', status: 304 } })
    const result = await step(sim)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toBe(
      'Could not list the backups of server 12345: the API answered HTTP 304 (Not Modified), an answer the action cannot use (the API documents a 2xx answer here)'
    )
  })

  it.each(['HTTP_PROXY', 'https_proxy'])(
    'a bad %s fails naming it, before any request',
    async (name) => {
      const sim = await simulator()
      const result = await step(sim, {}, { env: { [name]: 'proxy.example:3128' } })
      expect(result.exitCode).toBe(1)
      expect(errorLine(result)).toMatch(
        new RegExp(`^The environment variable ${name} is not a proxy URL`)
      )
      expect(sim.requests).toEqual([])
    }
  )

  it('a token with a line break is an input error: one line, no request, not printed', async () => {
    const sim = await simulator()
    const token = `${sim.token}\nX-Injected: 1`
    const result = await step(sim, { api_token: token })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(/^Input 'api_token' must be a VPS.org API token/)
    expect(result.log).not.toContain(sim.token)
    expect(sim.requests).toEqual([])
  })
})

describe('the post step restores only what its own main step saved', () => {
  async function mainStep(): Promise<{ sim: Simulator; state: Record<string, string> }> {
    const sim = await simulator({
      servers: [
        { id: SERVER_ID, name: 'web-server-01' },
        { id: 777, name: 'other' }
      ]
    })
    const main = await step(sim, { rollback_on_failure: 'true' })
    expect(main.exitCode).toBe(0)
    return { sim, state: main.state }
  }

  it.each([
    [
      'for another server',
      { rollback_on_failure: 'true', server_id: '777' },
      /not those of server_id 777/
    ],
    ['without rollback_on_failure', {}, /not a backup step with rollback_on_failure: true/],
    [
      'of a restore step',
      { rollback_on_failure: 'true', mode: 'restore', backup_id: 'latest' },
      /not a backup step/
    ]
  ])('%s: no restore, a clear failure', async (_, inputs, expected) => {
    const { sim, state } = await mainStep()
    const before = sim.requests.length
    const post = await step(sim, inputs, { post: { state } })
    expect(post.exitCode).toBe(1)
    expect(errorLine(post)).toMatch(/^No automatic rollback: /)
    expect(errorLine(post)).toMatch(expected)
    expect(sim.requests.length).toBe(before)
    expect(sim.restores).toEqual([])
  })
})
