import { describe, expect, it } from 'vitest'
import type { Backup } from '../../src/api-types.js'
import { type ActionsContext, readContext } from '../../src/context.js'
import { InputError } from '../../src/errors.js'
import { type JobStep, stepStarted } from '../../src/github.js'
import { parseInputs } from '../../src/inputs.js'
import { findRunBackup } from '../../src/run-backup.js'
import { context } from '../helpers/context.js'

const TOKEN = 'vps_S3cr3tT0kenValue_do_not_print'
const GITHUB_TOKEN = 'ghs_S3cr3tJobToken_do_not_print'

function parse(values: Record<string, string>) {
  const all: Record<string, string> = {
    api_token: TOKEN,
    server_id: '12345',
    github_token: GITHUB_TOKEN,
    ...values
  }
  return parseInputs((name) => all[name] ?? '', context)
}

/** The InputError's message; it names `input` and repeats neither token. */
function inputError(values: Record<string, string>, input: string): string {
  let caught: unknown
  try {
    parse(values)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(InputError)
  expect((caught as InputError).input).toBe(input)
  const { message } = caught as InputError
  expect(message).not.toContain(TOKEN)
  expect(message).not.toContain(GITHUB_TOKEN)
  return message
}

describe('parseInputs: backup_id: run:<run_id>', () => {
  it('restore and delete take run:<run_id>', () => {
    expect(parse({ mode: 'restore', backup_id: 'run:9876543210' }).target).toEqual({
      mode: 'restore',
      backupId: { runId: 9876543210 }
    })
    expect(parse({ mode: 'delete', backup_id: 'run:7' }).target).toEqual({
      mode: 'delete',
      backupId: { runId: 7 }
    })
  })

  it.each(['run:', 'run:0', 'run:-1', 'run:1.5', 'run: 12', 'run:12 ', 'run:1e3', 'run:abc'])(
    'refuses %j: run: needs a positive whole number',
    (text) => {
      expect(inputError({ mode: 'restore', backup_id: text }, 'backup_id')).toBe(
        `Input 'backup_id' must be run:<run_id> with a positive whole number, got ${JSON.stringify(text)}.`
      )
    }
  )

  it('names run:<run_id> among the accepted forms', () => {
    expect(inputError({ mode: 'restore', backup_id: 'x' }, 'backup_id')).toContain(
      'a backup id, latest or run:<run_id>'
    )
    expect(inputError({ mode: 'delete', backup_id: 'x' }, 'backup_id')).toContain(
      'a backup id or run:<run_id>'
    )
  })
})

describe('parseInputs: only_if_step_started and github_token', () => {
  it('goes with a restore of run:<run_id>; the name is trimmed', () => {
    const settings = parse({
      mode: 'restore',
      backup_id: 'run:55',
      only_if_step_started: ' Deploy to production '
    })
    expect(settings.target).toEqual({
      mode: 'restore',
      backupId: { runId: 55, onlyIfStepStarted: 'Deploy to production' }
    })
    expect(settings.githubToken).toBe(GITHUB_TOKEN)
  })

  it.each([
    [{ mode: 'restore', backup_id: '42' }],
    [{ mode: 'restore', backup_id: 'latest' }],
    [{ mode: 'delete', backup_id: 'run:55' }],
    [{ mode: 'backup' }]
  ])('is refused without a restore of run:<run_id>: %j', (values) => {
    expect(inputError({ ...values, only_if_step_started: 'Deploy' }, 'only_if_step_started')).toBe(
      "Input 'only_if_step_started' is only for mode: restore with backup_id: run:<run_id>."
    )
  })

  it.each([' ', '\t', 'Deploy\nrm -rf', 'Deploy\u0007'])(
    'is refused when blank or not one line: %j',
    (text) => {
      expect(
        inputError(
          { mode: 'restore', backup_id: 'run:55', only_if_step_started: text },
          'only_if_step_started'
        )
      ).toContain('must be the name of the deploy step, on one line')
    }
  )

  it('needs a github_token, and says which permission it needs', () => {
    const message = inputError(
      { mode: 'restore', backup_id: 'run:55', only_if_step_started: 'Deploy', github_token: ' ' },
      'github_token'
    )
    expect(message).toContain('actions: read')
  })

  it('never repeats the GitHub token, whatever input it was given to', () => {
    const message = inputError({ mode: 'restore', backup_id: `run:${GITHUB_TOKEN}` }, 'backup_id')
    expect(message).toBe("Input 'backup_id' must be run:<run_id> with a positive whole number.")
  })
})

function backup(id: number, description: string, extra: Partial<Backup> = {}): Backup {
  return {
    id,
    server: { id: 12345, name: 'web-server-01' },
    backup_type: 'manual',
    status: 'completed',
    size_mb: 1,
    created_at: `2026-11-27T10:${String(id % 60).padStart(2, '0')}:00Z`,
    description,
    ...extra
  }
}

describe('findRunBackup', () => {
  it('finds the completed backup that run of this repository made, the newest of its own', () => {
    const backups = [
      backup(1, 'before [gha:acme/shop#555]'),
      backup(3, 'retry [gha:acme/shop#555]'),
      backup(4, 'still running [gha:acme/shop#555]', { status: 'in_progress' }),
      backup(5, 'failed [gha:acme/shop#555]', { status: 'failed' }),
      backup(6, 'another run [gha:acme/shop#556]'),
      backup(7, 'another repository, same run id [gha:evil/other#555]'),
      backup(8, 'a lookalike [gha:acme/shop#5550]'),
      backup(9, 'untagged, mentions #555')
    ]
    expect(findRunBackup(backups, 555, context)?.id).toBe(3)
  })

  it('matches the repository without regard to case, as GitHub does', () => {
    expect(findRunBackup([backup(2, 'x [gha:ACME/Shop#555]')], 555, context)?.id).toBe(2)
  })

  it('finds nothing when the run made no completed backup', () => {
    expect(findRunBackup([backup(1, 'x [gha:other/repo#555]')], 555, context)).toBeUndefined()
    expect(findRunBackup([], 555, context)).toBeUndefined()
  })
})

const step = (
  name: string,
  status: string,
  conclusion: string | null,
  startedAt?: string
): JobStep => ({
  name,
  status,
  conclusion,
  startedAt: startedAt ?? null
})
const AT = '2026-11-27T10:00:00Z'

describe('stepStarted', () => {
  it.each([
    ['running', step('Deploy', 'in_progress', null, AT)],
    ['finished', step('Deploy', 'completed', 'success', AT)],
    ['failed', step('Deploy', 'completed', 'failure', AT)],
    ['cancelled while running', step('Deploy', 'completed', 'cancelled', AT)]
  ])('a step %s had started', (_, deploy) => {
    expect(stepStarted([step('Back up', 'completed', 'success', AT), deploy], 'Deploy')).toBe(true)
  })

  it.each([
    ['skipped', step('Deploy', 'completed', 'skipped', AT)],
    ['cancelled before it was reached', step('Deploy', 'completed', 'cancelled')],
    ['queued', step('Deploy', 'queued', null)],
    ['of another name', step('Deploy staging', 'completed', 'success', AT)],
    ['named in another case', step('deploy', 'completed', 'success', AT)]
  ])('a step %s had not', (_, deploy) => {
    expect(stepStarted([deploy], 'Deploy')).toBe(false)
  })

  it('any job: one started step of that name is enough', () => {
    const steps = [
      step('Deploy', 'completed', 'skipped', AT),
      step('Deploy', 'completed', 'failure', AT)
    ]
    expect(stepStarted(steps, 'Deploy')).toBe(true)
  })
})

describe('readContext: the run, from @actions/github', () => {
  const source = (repo: () => { owner: string; repo: string }, fields: object) =>
    Object.defineProperty({ ...fields }, 'repo', { get: repo }) as unknown as ActionsContext

  it('maps every field', () => {
    const ctx = readContext(
      source(() => ({ owner: 'acme', repo: 'shop' }), {
        sha: 'abc',
        runId: 9876543210,
        runAttempt: 2,
        job: 'deploy',
        action: '__vpsorg_backup-action',
        workflow: 'Deploy',
        serverUrl: 'https://ghes.example.com',
        apiUrl: 'https://ghes.example.com/api/v3'
      })
    )
    expect(ctx).toEqual({
      repository: 'acme/shop',
      sha: 'abc',
      runId: '9876543210',
      runAttempt: 2,
      job: 'deploy',
      action: '__vpsorg_backup-action',
      workflow: 'Deploy',
      serverUrl: 'https://ghes.example.com',
      apiUrl: 'https://ghes.example.com/api/v3'
    })
  })

  it('falls back outside a runner: no repository, NaN run id and attempt', () => {
    const ctx = readContext(
      source(
        () => {
          throw new Error(
            "context.repo requires a GITHUB_REPOSITORY environment variable like 'owner/repo'"
          )
        },
        { runId: Number.NaN, runAttempt: Number.NaN }
      )
    )
    expect(ctx).toMatchObject({
      repository: 'local/repository',
      sha: '',
      runId: '0',
      runAttempt: 1,
      serverUrl: 'https://github.com',
      apiUrl: 'https://api.github.com'
    })
  })
})
