import { describe, expect, it } from 'vitest'
import { ActionError, CancelledError } from '../../../src/common/errors.js'
import { scrubberOf } from '../../../src/common/untrusted.js'
import { WaitTimeoutError } from '../../../src/common/wait.js'
import { parseInputs } from '../../../src/inputs/parse.js'
import { type Ending, stepEnding } from '../../../src/report/ending.js'
import type { Outcome } from '../../../src/runtime/outcome.js'
import { backup } from '../../helpers/backup.js'
import { memoryEnd } from '../../helpers/memory-end.js'
import { memoryLogger } from '../../helpers/memory-logger.js'
import { context } from '../../helpers/run-context.js'

const TOKEN = 'vps_ending_test_token'

function settingsOf(inputs: Record<string, string> = {}) {
  const values: Record<string, string> = { api_token: TOKEN, server_id: '12345', ...inputs }
  return parseInputs((name) => values[name] ?? '', context)
}

/** A step's ending, written with an in-memory end; `ending` overrides a succeeded backup step. */
async function ended(
  ending: Partial<Ending> = {},
  { env = {}, summaryFails }: { env?: Record<string, string>; summaryFails?: Error } = {}
) {
  const memory = memoryEnd(summaryFails)
  const log = memoryLogger()
  const outcome: Outcome = { deleted: [], backup: backup(501), status: 'completed' }
  const writer = stepEnding({ end: memory.end, log, scrub: scrubberOf([TOKEN]), env })
  await writer.end({
    settings: settingsOf(),
    outcome,
    elapsedMs: 95_000,
    automatic: false,
    armed: false,
    failure: undefined,
    ...ending
  })
  return { ...memory, log, summary: memory.summaries.join('\n') }
}

/** The failure line of a step that failed with `failure`. */
async function failureLine(failure: unknown, outcome?: Outcome): Promise<string> {
  const { failures } = await ended({ failure, ...(outcome ? { outcome } : {}) })
  expect(failures).toHaveLength(1)
  return failures[0]!
}

describe('stepEnding: deployment_id after outputs written before the prune', () => {
  /** A backup step whose outputs were written before its prune, then its deployment created. */
  async function withDeployment(automatic: boolean) {
    const memory = memoryEnd()
    const outcome: Outcome = { deleted: [], backup: backup(501), status: 'completed' }
    const settings = settingsOf()
    const writer = stepEnding({ end: memory.end, log: memoryLogger(), scrub: (t) => t, env: {} })
    writer.writeOutputs(settings, outcome)
    outcome.ledger = {
      environment: 'production',
      url: 'u',
      deploymentId: 1001,
      state: 'in_progress'
    }
    await writer.end({
      settings,
      outcome,
      elapsedMs: 0,
      automatic,
      armed: false,
      failure: undefined
    })
    return memory.outputs
  }

  it('is written at the end, beside the outputs written before', async () => {
    expect(await withDeployment(false)).toMatchObject({ backup_id: '501', deployment_id: '1001' })
  })

  it("is not written by the post step's rollback (its step's outputs are final)", async () => {
    expect((await withDeployment(true)).deployment_id).toBeUndefined()
  })
})

describe('stepEnding: a step that succeeded', () => {
  it('writes the outputs and the job summary once, and fails nothing', async () => {
    const { outputs, summaries, failures } = await ended()
    expect(outputs).toEqual({
      backup_id: '501',
      backup_ids: '{"12345":501}',
      status: 'completed',
      statuses: '{"12345":"completed"}',
      size_mb: '4456',
      created_at: '2025-01-16T15:45:00Z',
      server_name: 'web-server-01'
    })
    expect(summaries).toHaveLength(1)
    expect(summaries[0]).toContain('## ✅ VPS.org backup')
    expect(summaries[0]).toContain('<td>1m35s</td>')
    expect(failures).toEqual([])
  })

  it('does not write the outputs again once a backup step wrote them before its prune', async () => {
    const memory = memoryEnd()
    const outcome: Outcome = { deleted: [], backup: backup(501), status: 'completed' }
    const settings = settingsOf()
    const writer = stepEnding({ end: memory.end, log: memoryLogger(), scrub: (t) => t, env: {} })
    writer.writeOutputs(settings, outcome)
    expect(outcome.outputsWritten).toBe(true)
    expect(memory.outputs.backup_id).toBe('501')
    memory.end.setOutput = () => {
      throw new Error('written twice')
    }
    const base = { settings, outcome, elapsedMs: 0, automatic: false, armed: false }
    await writer.end({ ...base, failure: undefined })
    expect(memory.failures).toEqual([])
  })

  it('scrubs the outputs of every secret input, and leaves out one that is not what it promises', async () => {
    const outcome: Outcome = {
      deleted: [],
      backup: backup(501, { server: { id: 12345, name: `web ${TOKEN}` } }),
      status: `done ${TOKEN}`
    }
    const { outputs, log } = await ended({ outcome })
    expect(outputs.server_name).toBe('web ***')
    expect(outputs.status).toBeUndefined()
    expect(log.of('warning')).toContain(
      "Output status is not set: the API's value is not one word."
    )
  })

  it('names the action as the runner ran it, without characters a snippet cannot take', async () => {
    const env = { GITHUB_ACTION_REPOSITORY: 'acme/backup`$x', GITHUB_ACTION_REF: 'v2 beta' }
    expect((await ended()).summary).toContain('- uses: vpsorg/backup-action@v1')
    expect((await ended({}, { env })).summary).toContain('- uses: acme/backupx@v2beta\n')
  })

  it('reads the backup_id output of a step with an id; not of one the runner named', async () => {
    const output = 'steps.backup.outputs.backup_id'
    expect((await ended({}, { env: { GITHUB_ACTION: 'backup' } })).summary).toContain(output)
    const generated = (await ended({}, { env: { GITHUB_ACTION: '__acme_backup' } })).summary
    expect(generated).not.toContain('steps.')
    expect(generated).toContain('backup_id: 501')
  })
})

describe('stepEnding: the automatic rollback', () => {
  const rollback = { settings: settingsOf({ rollback_on_failure: 'true' }) }

  it('a backup step that armed it says the post step restores', async () => {
    const { summary } = await ended({ ...rollback, armed: true })
    expect(summary).toContain("this action's post step restores server 12345 from backup 501")
    expect(summary).not.toContain('mode: restore')
  })

  it('a backup step that did not arm it says so', async () => {
    const { summary } = await ended({ ...rollback, armed: false })
    expect(summary).toContain('No automatic rollback: this step did not succeed')
  })

  it('a step without rollback_on_failure says nothing of it', async () => {
    const { summary } = await ended({ armed: false })
    expect(summary).not.toContain('automatic rollback')
    expect(summary).not.toContain('No automatic rollback')
  })

  it('the post step writes no outputs and titles its summary as the automatic rollback', async () => {
    const { outputs, summary } = await ended({ ...rollback, automatic: true, armed: false })
    expect(outputs).toEqual({})
    expect(summary).toContain('## ✅ Automatic rollback (rollback_on_failure)')
    expect(summary).not.toContain('No automatic rollback')
    expect(summary).not.toContain('post step restores')
  })
})

describe('stepEnding: the failure line', () => {
  it('is the error’s message, in the summary too, after the outputs', async () => {
    const { failures, summary, outputs } = await ended({
      failure: new ActionError('Could not create a backup: HTTP 500: Down')
    })
    expect(failures).toEqual(['Could not create a backup: HTTP 500: Down'])
    expect(summary).toContain('## ❌ VPS.org backup')
    expect(summary).toContain('<strong>Failed:</strong> Could not create a backup: HTTP 500: Down')
    expect(outputs.backup_id).toBe('501')
  })

  it('says a cancelled step left nothing running, or what it left (in the summary under its own heading)', async () => {
    expect(await failureLine(new CancelledError())).toBe(
      'The workflow was cancelled. Nothing the action started is left running on VPS.org.'
    )
    const pending: Outcome = {
      deleted: [],
      pending: 'Backup 501 of server 12345 is still running.'
    }
    expect(await failureLine(new CancelledError(), pending)).toBe(
      'The workflow was cancelled. Backup 501 of server 12345 is still running.'
    )
    const { summary } = await ended({ failure: new CancelledError(), outcome: pending })
    expect(summary).toContain('<strong>Failed:</strong> The workflow was cancelled.</p>')
    expect(summary).toContain('<strong>Still running:</strong> Backup 501 of server 12345')
  })

  it('ends the why with a full stop before what is left running, unless it ends a sentence', async () => {
    const pending: Outcome = { deleted: [], pending: 'Restore of server 12345 is still running.' }
    expect(await failureLine(new ActionError('HTTP 503: Down'), pending)).toBe(
      'HTTP 503: Down. Restore of server 12345 is still running.'
    )
    expect(await failureLine(new ActionError('Try again in 1 second.'), pending)).toBe(
      'Try again in 1 second. Restore of server 12345 is still running.'
    )
    expect(await failureLine(new ActionError(''), pending)).toBe(
      'Restore of server 12345 is still running.'
    )
    expect(await failureLine(new ActionError(''))).toBe('')
  })

  it('names the backup a timed-out wait leaves for later steps: its id, or backup_ids', async () => {
    const timeout = new WaitTimeoutError('backup 501', 60_000, 'in_progress')
    const why = "Timed out after 1m waiting for backup 501; its last status was 'in_progress'"
    expect(await failureLine(timeout)).toBe(`${why}. backup_id is set to 501 for later steps.`)
    const fleet: Outcome = { deleted: [], servers: new Map([[101, { deleted: [] }]]) }
    expect(await failureLine(timeout, fleet)).toBe(
      `${why}. backup_ids names every backup created, for later steps.`
    )
    expect(await failureLine(timeout, { deleted: [] })).toBe(why)
  })

  it('is one line, scrubbed of every secret input and no workflow command', async () => {
    const line = await failureLine(new ActionError(`::error::HTTP 401: bad token ${TOKEN}\nnext`))
    expect(line).toBe(': :error::HTTP 401: bad token *** next')
  })

  it('says what was thrown that is not an Error', async () => {
    expect(await failureLine('a string')).toBe('a string')
  })

  it('logs a bug’s stack in the debug log only; an expected failure’s not at all', async () => {
    const bug = new TypeError('x is undefined')
    const { log, failures } = await ended({ failure: bug })
    expect(failures).toEqual(['x is undefined'])
    expect(log.of('debug')).toEqual([bug.stack])
    expect((await ended({ failure: new ActionError('expected') })).log.of('debug')).toEqual([])
    const stackless = new Error('no stack')
    stackless.stack = undefined
    expect((await ended({ failure: stackless })).log.of('debug')).toEqual([''])
  })

  it('when the inputs could not be read: the summary shows the failure alone', async () => {
    const { summaries, failures, outputs } = await ended({
      settings: undefined,
      outcome: { deleted: [] },
      failure: new ActionError(`Input 'server_id' must be a number, got "${TOKEN}".`)
    })
    expect(summaries).toEqual([
      `## ❌ VPS.org Backup & Rollback\n\n<p><strong>Failed:</strong> Input &#39;server&#95;id&#39; must be a number, got &#34;&#42;&#42;&#42;&#34;.</p>\n`
    ])
    expect(failures).toEqual([`Input 'server_id' must be a number, got "***".`])
    expect(outputs).toEqual({})
  })

  it('a summary that cannot be written is a warning: the step still ends as it would', async () => {
    const { log, failures } = await ended(
      { failure: new ActionError('Could not create a backup') },
      { summaryFails: new Error('EACCES: permission denied') }
    )
    expect(log.of('warning')).toEqual([
      'Could not write the job summary: EACCES: permission denied'
    ])
    expect(failures).toEqual(['Could not create a backup'])
    expect((await ended({}, { summaryFails: new Error('EROFS') })).failures).toEqual([])
  })
})
