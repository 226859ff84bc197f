import { describe, expect, it } from 'vitest'
import type { Backup } from '../../src/api-types.js'
import { type ActionsContext, readContext } from '../../src/context.js'
import { type Job, type JobStep, stepStarted } from '../../src/github.js'
import { findRunBackup } from '../../src/run-backup.js'
import { backup } from '../helpers/backup.js'
import { context } from '../helpers/run-context.js'

/** A completed backup with this description, created at minute `id` of the hour. */
const tagged = (id: number, description: string, overrides: Partial<Backup> = {}): Backup =>
  backup(id, {
    created_at: `2026-11-27T10:${String(id % 60).padStart(2, '0')}:00Z`,
    description,
    ...overrides
  })

describe('findRunBackup', () => {
  it('finds the completed backup that run of this repository made, the newest of its own', () => {
    const backups = [
      tagged(1, 'before [gha:acme/shop#555]'),
      tagged(3, 'retry [gha:acme/shop#555]'),
      tagged(4, 'still running [gha:acme/shop#555]', { status: 'in_progress' }),
      tagged(5, 'failed [gha:acme/shop#555]', { status: 'failed' }),
      tagged(6, 'another run [gha:acme/shop#556]'),
      tagged(7, 'another repository, same run id [gha:evil/other#555]'),
      tagged(8, 'a lookalike [gha:acme/shop#5550]'),
      tagged(9, 'untagged, mentions #555')
    ]
    expect(findRunBackup(backups, 555, context)?.id).toBe(3)
  })

  it('prefers the newest attempt of the run, whatever the ids', () => {
    const backups = [
      tagged(2, 'attempt 2 [gha:acme/shop#555/2/d45f646c/0a1b2c3d]'),
      tagged(9, 'attempt 1 [gha:acme/shop#555/1/d45f646c/5e6f7a8b]'),
      tagged(10, 'v1.0.0 tag [gha:acme/shop#555]')
    ]
    expect(findRunBackup(backups, 555, context)?.id).toBe(2)
  })

  it('matches the repository without regard to case, as GitHub does', () => {
    expect(findRunBackup([tagged(2, 'x [gha:ACME/Shop#555]')], 555, context)?.id).toBe(2)
  })

  it('finds nothing when the run made no completed backup', () => {
    expect(findRunBackup([tagged(1, 'x [gha:other/repo#555]')], 555, context)).toBeUndefined()
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
/** A job of attempt `attempt` with these steps. */
const job = (steps: JobStep[], attempt = 1, name = 'deploy'): Job => ({ name, attempt, steps })

describe('stepStarted', () => {
  it.each([
    ['running', step('Deploy', 'in_progress', null, AT)],
    ['finished', step('Deploy', 'completed', 'success', AT)],
    ['failed', step('Deploy', 'completed', 'failure', AT)],
    ['cancelled while running', step('Deploy', 'completed', 'cancelled', AT)]
  ])('a step %s had started', (_, deploy) => {
    expect(
      stepStarted([job([step('Back up', 'completed', 'success', AT), deploy])], 'Deploy')
    ).toBe(true)
  })

  it.each([
    ['skipped', step('Deploy', 'completed', 'skipped', AT)],
    ['cancelled before it was reached', step('Deploy', 'completed', 'cancelled')],
    ['queued', step('Deploy', 'queued', null)],
    ['of another name', step('Deploy staging', 'completed', 'success', AT)],
    ['named in another case', step('deploy', 'completed', 'success', AT)]
  ])('a step %s had not', (_, deploy) => {
    expect(stepStarted([job([deploy])], 'Deploy')).toBe(false)
  })

  it('any job: one started step of that name is enough', () => {
    const jobs = [
      job([step('Deploy', 'completed', 'skipped', AT)]),
      job([step('Deploy', 'completed', 'failure', AT)], 1, 'other')
    ]
    expect(stepStarted(jobs, 'Deploy')).toBe(true)
  })
})

describe('readContext: the run, from @actions/github', () => {
  const withRepo = (repo: () => { owner: string; repo: string }, fields: object) =>
    Object.defineProperty({ ...fields }, 'repo', { get: repo }) as unknown as ActionsContext

  it('maps every field', () => {
    const fields = {
      sha: 'abc',
      runAttempt: 2,
      job: 'deploy',
      action: '__vpsorg_backup-action',
      workflow: 'Deploy',
      serverUrl: 'https://ghes.example.com',
      apiUrl: 'https://ghes.example.com/api/v3'
    }
    const source = withRepo(() => ({ owner: 'acme', repo: 'shop' }), {
      ...fields,
      runId: 9876543210
    })
    expect(readContext(source, () => 'cafef00d')).toEqual({
      ...fields,
      repository: 'acme/shop',
      runId: '9876543210',
      nonce: 'cafef00d'
    })
  })

  it('falls back outside a runner: no repository, NaN run id and attempt', () => {
    const ctx = readContext(
      withRepo(
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
