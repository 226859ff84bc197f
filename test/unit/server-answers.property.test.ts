import * as core from '@actions/core'
import fc from 'fast-check'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { Backup, Server } from '../../src/vpsorg/api-types.js'
import { VpsOrgClient } from '../../src/vpsorg/client.js'
import { ActionError } from '../../src/common/errors.js'
import { type Logger, neutralising } from '../../src/common/log.js'
import { stepOutputs } from '../../src/report/outputs.js'
import type { Outcome } from '../../src/runtime/outcome.js'
import { renderSummary } from '../../src/report/summary.js'
import { canonical, neutralise } from '../../src/common/untrusted.js'
import { API } from '../helpers/api.js'
import { EPOCH, fakeClock } from '../helpers/fake-clock.js'

/*
 * Generated server answers (any JSON, any string in every field: workflow commands, Markdown,
 * HTML, the token in its encodings) fed to the client, then to the report (log, summary,
 * outputs) the way run() composes them. Nothing may crash; no workflow command may come out of
 * server text; the token never comes out in any form.
 */

const TOKEN = 'vps_prop_test_token_0123456789'

const hex = (c: string, width: number): string => c.charCodeAt(0).toString(16).padStart(width, '0')
const tokenForms = fc.constantFrom(
  TOKEN,
  TOKEN.toUpperCase(),
  TOKEN.replaceAll('_', '&#95;'),
  TOKEN.replaceAll('_', '&#x5f;'),
  TOKEN.replaceAll('_', '&lowbar;'),
  TOKEN.replaceAll('_', '&amp;#95;'),
  TOKEN.replaceAll('_', '%5F'),
  [...TOKEN].map((c) => `\\u${hex(c, 4)}`).join(''),
  [...TOKEN].map((c) => `%${hex(c, 2)}`).join(''),
  Buffer.from(TOKEN).toString('base64'),
  Buffer.from(`Bearer ${TOKEN}`).toString('base64'),
  Buffer.from(TOKEN).toString('hex')
)
const injections = fc.constantFrom(
  '\n::error::PWN',
  '\r\n  ::add-mask::PWN',
  '\n::stop-commands::PWN',
  '\r::save-state name=rollback_backup_ids::{"12345":999}',
  '##[error]PWN',
  '\u2028::warning::PWN',
  '::set-output name=status::PWN',
  '\n\n# PWN\n\n[PWN](https://evil.example) <img src=x onerror=alert(1)>',
  '\u202e',
  '%0A::error::PWN'
)
const hostile = fc
  .array(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), tokenForms, injections), {
    maxLength: 4
  })
  .map((parts) => parts.join(''))
const anyValue = fc.oneof(
  hostile,
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom({ toString: 1 }, { valueOf: 1 }, [{ toString: 1 }], '1,2', -1, Number.MAX_VALUE),
  fc.double(),
  fc.constant(null)
)
/** Mostly `usual` (so that answers get past the shape checks), sometimes any value. */
const mostly = <T>(usual: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: usual, weight: 4 }, { arbitrary: anyValue, weight: 1 })
/** A string field: hostile text, or any value. */
const field = fc.oneof({ arbitrary: hostile, weight: 3 }, { arbitrary: anyValue, weight: 2 })
const backupLike = fc.record(
  {
    id: mostly(fc.integer({ min: 1, max: 1000 })),
    server: mostly(fc.record({ id: mostly(fc.constant(12345)), name: field })),
    backup_type: mostly(fc.constant('manual')),
    status: mostly(fc.oneof(fc.constantFrom('completed', 'in_progress', 'failed'), hostile)),
    size_mb: field,
    created_at: fc.oneof(fc.constant('2025-01-16T15:45:00Z'), field),
    description: field
  },
  { requiredKeys: ['id', 'server', 'status'] }
)
const serverLike = fc.record(
  {
    id: mostly(fc.constant(12345)),
    name: field,
    status: mostly(fc.oneof(fc.constantFrom('active', 'restoring'), hostile)),
    updated_at: field
  },
  { requiredKeys: ['id', 'status'] }
)
const pageLike = fc.record({
  results: fc.array(backupLike, { maxLength: 3 }),
  next: fc.oneof(fc.constant(null), hostile)
})
const anyJson = fc.oneof(
  fc.record({ detail: anyValue }),
  fc.dictionary(hostile, anyValue, { maxKeys: 3 }),
  fc.jsonValue()
)
/** What each operation reads: mostly its usual shape (with hostile fields), sometimes anything. */
const USUAL: Record<string, fc.Arbitrary<unknown>> = {
  list: pageLike,
  create: backupLike,
  get: serverLike,
  restore: serverLike,
  delete: anyJson
}
/** A header value as HTTP can carry it: no control characters. */
const headerValue = hostile.map((text) => text.replace(/\p{Cc}/gu, ''))
const answerFor = (op: string) =>
  fc.record({
    status: fc.oneof(
      { arbitrary: fc.constantFrom(200, 201, 202), weight: 3 },
      fc.constantFrom(204, 301, 302, 304, 400, 401, 403, 404, 409, 429, 503)
    ),
    body: fc.oneof(
      { arbitrary: USUAL[op]!.map((value) => JSON.stringify(value)), weight: 4 },
      USUAL[op]!.map((value) => `\uFEFF${JSON.stringify(value)}`),
      anyJson.map((value) => JSON.stringify(value)),
      hostile,
      hostile.map((text) => `<html><head><title>${text}</title></head></html>`)
    ),
    location: fc.option(headerValue, { nil: undefined }),
    retryAfter: fc.option(headerValue, { nil: undefined })
  })
const scenario = fc
  .constantFrom('list', 'get', 'create', 'restore', 'delete')
  .chain((op) => fc.record({ op: fc.constant(op), reply: answerFor(op) }))
type Answer = ReturnType<typeof answerFor> extends fc.Arbitrary<infer T> ? T : never

const agents: MockAgent[] = []
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()))
})

/** The production logger: @actions/core behind neutralising(). */
const log: Logger = neutralising({
  debug: core.debug,
  info: core.info,
  warning: core.warning,
  group: core.group
})

/** Everything written to stdout while `fn` runs (@actions/core writes the log there). */
async function captured(fn: () => Promise<void>): Promise<string> {
  const write = process.stdout.write
  let text = ''
  process.stdout.write = ((chunk: string | Uint8Array) => {
    text += String(chunk)
    return true
  }) as typeof process.stdout.write
  try {
    await fn()
  } finally {
    process.stdout.write = write
  }
  return text
}

function client(reply: Answer): VpsOrgClient {
  const agent = new MockAgent()
  agent.disableNetConnect()
  agents.push(agent)
  const headers: Record<string, string> = {}
  if (reply.location !== undefined) headers.location = reply.location
  if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter
  agent
    .get('https://admin.vps.org')
    .intercept({ path: () => true, method: () => true })
    .reply(reply.status, reply.body, { headers })
    .persist()
  const clock = fakeClock()
  return new VpsOrgClient({
    apiUrl: API,
    token: TOKEN,
    dispatcher: agent,
    clock,
    random: () => 0.5,
    signal: new AbortController().signal,
    deadline: EPOCH + 3_600_000,
    log,
    userAgent: 'test',
    maxAttempts: 2
  })
}

/** Calls the client, fills the outcome as the modes do, and logs its server text as they do. */
async function act(api: VpsOrgClient, op: string, outcome: Outcome): Promise<void> {
  const show = (b: Backup): void =>
    log.info(
      `Backup ${b.id} of server ${b.server.id} (${b.server.name}): ${b.backup_type}, ${b.status}, ${b.size_mb ?? '?'} MB, created ${b.created_at}, "${b.description ?? ''}"`
    )
  const showServer = (s: Server): void =>
    log.info(`Server ${s.id} (${s.name}): ${s.status}, updated ${s.updated_at ?? '?'}`)
  if (op === 'list' || op === 'create') {
    const backups =
      op === 'list' ? await api.listBackups(12345) : [await api.createBackup(12345, 'd')]
    backups.forEach((b) => b && show(b))
    outcome.backup = backups[0]
    outcome.status = backups[0]?.status
  } else if (op === 'get' || op === 'restore') {
    const server = op === 'get' ? await api.getServer(12345) : (await api.restore(12345, 1)).server
    if (server) showServer(server)
    outcome.server = server
    outcome.status = server?.status
  } else {
    outcome.status = (await api.deleteBackup(1)) ? 'deleted' : 'not_found'
  }
  await log.group(`Status ${outcome.status ?? ''}`, async () => undefined)
}

/** Lines that begin a workflow command which this action did not issue. */
const OWN_COMMAND = /^::(debug|warning|error|group|endgroup)::/

describe('generated server answers, through the client and the report', () => {
  it('no crash, no workflow command from server text, the token in no output form', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ op, reply }) => {
        const outcome: Outcome = { deleted: [] }
        let failure: unknown
        let outputs: Record<string, string> = {}
        let summary = ''
        let warnings = 0
        const stdout = await captured(async () => {
          try {
            await act(client(reply), op, outcome)
          } catch (error) {
            failure = error
          }
          outputs = stepOutputs(outcome, { mode: 'backup' }, [12345], (message) => {
            warnings++
            log.warning(message)
          })
          const error = failure instanceof Error ? failure.message : undefined
          summary = renderSummary({
            mode: 'backup',
            serverIds: [12345],
            outcome,
            elapsedMs: 1000,
            actionRef: 'vpsorg/backup-action@v1',
            error
          })
          if (error !== undefined) core.error(neutralise(error))
        })
        // No crash: every failure is an expected one, with its one-line message.
        if (failure !== undefined) expect(failure).toBeInstanceOf(ActionError)
        const lines = stdout.split('\n').map((line) => line.trim())
        for (const line of lines) if (line.startsWith('::')) expect(line).toMatch(OWN_COMMAND)
        expect(stdout).not.toContain('##[')
        expect(lines.filter((l) => l.startsWith('::warning::'))).toHaveLength(warnings)
        expect(lines.filter((l) => l.startsWith('::error::'))).toHaveLength(failure ? 1 : 0)
        for (const value of Object.values(outputs)) expect(value).not.toMatch(/[\r\n]/)
        const table = summary.slice(summary.indexOf('<table>'), summary.indexOf('</table>'))
        expect(table).not.toMatch(/\n\s*\n/)
        for (const text of [stdout, summary, JSON.stringify(outputs)]) {
          expect(canonical(text).toLowerCase()).not.toContain(TOKEN.toLowerCase())
          expect(text).not.toContain(Buffer.from(TOKEN).toString('base64').slice(4, 20))
          expect(text).not.toContain(Buffer.from(TOKEN).toString('hex').slice(4, 20))
        }
      }),
      { numRuns: 1000 }
    )
  })
})
