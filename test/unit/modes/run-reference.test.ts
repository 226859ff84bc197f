import type { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { Backup } from '../../../src/vpsorg/api-types.js'
import { serverRuntimes } from '../../../src/runtime/fleet.js'
import { type Job, type JobStep, MAX_PAGES } from '../../../src/github/runs.js'
import type { RunRef } from '../../../src/inputs/settings.js'
import {
  deployVerdict,
  findRunBackup,
  newerRunBackup,
  resolveRunBackups
} from '../../../src/modes/run-reference.js'
import { type FakeJob, type FakeRun, FakeGitHub } from '../../../simulator/github.js'
import { backup } from '../../helpers/backup.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { AT, job, step } from '../../helpers/job-steps.js'
import { rejection } from '../../helpers/rejection.js'
import { context } from '../../helpers/run-context.js'

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

describe('findRunBackup: up to an attempt', () => {
  it('takes the newest attempt not after the one that started the deploy (v1.0.0 tags name none)', () => {
    const backups = [
      tagged(1, 'v1 [gha:acme/shop#555]'),
      tagged(2, 'attempt 1 [gha:acme/shop#555/1/d45f646c/0a1b2c3d]'),
      tagged(3, 'attempt 2 [gha:acme/shop#555/2/d45f646c/5e6f7a8b]')
    ]
    expect(findRunBackup(backups, 555, context, 1)?.id).toBe(2)
    expect(findRunBackup(backups, 555, context, 2)?.id).toBe(3)
    expect(findRunBackup(backups.slice(0, 1), 555, context, 1)?.id).toBe(1)
  })
})

describe('newerRunBackup: has another run backed the server up since?', () => {
  const own = tagged(10, 'mine [gha:acme/shop#555/1/d45f646c/0a1b2c3d]')
  it.each([
    ['completed', tagged(11, 'x [gha:acme/shop#556]'), 11],
    ['still running', tagged(12, 'x [gha:acme/shop#556]', { status: 'in_progress' }), 12],
    [
      'failed: its deploy never ran',
      tagged(13, 'x [gha:acme/shop#556]', { status: 'failed' }),
      undefined
    ],
    [
      'made before ours, whatever its id',
      tagged(14, 'x [gha:acme/shop#556]', { created_at: '2026-11-27T09:00:00Z' }),
      undefined
    ],
    [
      'at the same moment',
      tagged(15, 'x [gha:acme/shop#556]', { created_at: own.created_at }),
      undefined
    ],
    [
      'of the same run (a re-run)',
      tagged(16, 'x [gha:acme/shop#555/2/d45f646c/5e6f7a8b]'),
      undefined
    ],
    ['of another repository', tagged(17, 'x [gha:evil/other#556]'), undefined],
    ['untagged', tagged(18, 'made by hand'), undefined]
  ])('another backup %s', (_, other, expected) => {
    expect(newerRunBackup([own, other], own, context)?.backup.id).toBe(expected)
  })

  it('names the newest of several, by created_at', () => {
    const later = tagged(20, 'x [gha:acme/shop#557]', { created_at: '2026-11-27T10:50:00Z' })
    const earlier = tagged(30, 'x [gha:acme/shop#556]', { created_at: '2026-11-27T10:40:00Z' })
    expect(newerRunBackup([own, earlier, later], own, context)).toEqual({
      backup: later,
      tag: { repository: 'acme/shop', runId: '557' }
    })
  })
})

const ran = (name: string, conclusion = 'success'): JobStep =>
  step(name, 'completed', conclusion, AT)
const verdict = (jobs: Job[], unless?: string) =>
  deployVerdict(
    jobs,
    { runId: 555, onlyIfStepStarted: 'Deploy', unlessStepStarted: unless },
    'Run 555 ended (failure)'
  )

describe('deployVerdict: did the run change the server?', () => {
  it('the deploy step started: changed, by that attempt', () => {
    expect(verdict([job([ran('Back up'), ran('Deploy')])])).toEqual({ changed: true, attempt: 1 })
    expect(verdict([job([ran('Lint')], 1, 'lint'), job([ran('Deploy')])])).toEqual({
      changed: true,
      attempt: 1
    })
  })

  it('a re-run: the latest attempt that started the deploy counts, not only the latest attempt', () => {
    const jobs = [job([ran('Deploy', 'cancelled')], 1), job([ran('Deploy', 'skipped')], 2)]
    expect(verdict(jobs)).toEqual({ changed: true, attempt: 1 })
    expect(verdict([...jobs, job([ran('Deploy')], 3)])).toEqual({ changed: true, attempt: 3 })
  })

  it('never started: not changed, and why', () => {
    expect(verdict([job([ran('Back up'), ran('Deploy', 'skipped')])])).toEqual({
      changed: false,
      why: "Run 555 ended (failure) before 'Deploy' started: the server was never changed; nothing was restored."
    })
  })

  it('the run rolled itself back (unless_step_started, same attempt): not changed', () => {
    const jobs = [job([ran('Deploy', 'failure'), ran('Roll back')], 2)]
    expect(verdict(jobs, 'Roll back')).toEqual({
      changed: false,
      why: "Run 555 ended (failure) after 'Deploy' had started (attempt 2), and so had its own 'Roll back': the run rolled the server back itself; nothing was restored."
    })
  })

  it('a rollback that did not run, or ran in another attempt, does not count', () => {
    expect(
      verdict([job([ran('Deploy', 'failure'), ran('Roll back', 'skipped')])], 'Roll back')
    ).toEqual({ changed: true, attempt: 1 })
    const jobs = [job([ran('Deploy'), ran('Roll back')], 1), job([ran('Deploy', 'cancelled')], 2)]
    expect(verdict(jobs, 'Roll back')).toEqual({ changed: true, attempt: 2 })
    expect(verdict([job([ran('Deploy')])], 'Post Back up')).toEqual({ changed: true, attempt: 1 })
  })

  it('a name that matches no step of the run fails, listing the names it has (neutralised)', () => {
    const jobs = [job([ran('Lint'), ran('::error::x')]), job([ran('deploy')], 2)]
    expect(() => verdict(jobs)).toThrow(
      "Run 555 has no step named 'Deploy' (only_if_step_started matches a step's name exactly, case-sensitive); its steps are 'Lint', ': :error::x', 'deploy'. Nothing was restored."
    )
  })

  it('no such step, but a job never started (no steps listed): the step may be in it, never changed', () => {
    expect(verdict([job([ran('Lint')]), job([])]).changed).toBe(false)
    expect(verdict([]).changed).toBe(false)
  })
})

const GITHUB_TOKEN = 'ghs_RunBackupTest33333333333333333333333'
const fakes: FakeGitHub[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()))
  await closeAgents()
})

const started = { status: 'completed', conclusion: 'cancelled', started_at: AT }
const deployRun = (extra: Partial<FakeRun> = {}): FakeRun => ({
  id: 555,
  repository: 'acme/shop',
  status: 'completed',
  conclusion: 'cancelled',
  jobs: [
    {
      name: 'deploy',
      steps: [
        { name: 'Back up', ...started },
        { name: 'Deploy', ...started }
      ]
    }
  ],
  ...extra
})

/** A restore of run:555 with only_if_step_started on `servers`, reading the fake GitHub. */
async function conditional(
  options: Partial<Parameters<typeof FakeGitHub.start>[0]> = {},
  inputs: Record<string, string> = {},
  apiUrl?: string
) {
  const fake = await FakeGitHub.start({ token: GITHUB_TOKEN, runs: [deployRun()], ...options })
  fakes.push(fake)
  const step = setup(
    {
      mode: 'restore',
      backup_id: 'run:555',
      only_if_step_started: 'Deploy',
      github_token: GITHUB_TOKEN,
      ...inputs
    },
    { apiUrl: apiUrl ?? fake.url }
  )
  ;(step.rt.dispatcher as MockAgent).enableNetConnect(/^127\.0\.0\.1:/)
  const servers = serverRuntimes(step.rt)
  const { target } = step.rt.settings
  const ref = (target as { backupId: RunRef }).backupId
  const resolve = () => resolveRunBackups(step.rt, servers, ref, 'restore')
  return { ...step, fake, servers, resolve }
}

describe('resolveRunBackups with only_if_step_started: a refusal is never a restore', () => {
  it('restores the backup the run made when its deploy step had started', async () => {
    const { api, resolve, rt, fake } = await conditional()
    api.addBackup({
      id: 700,
      description: 'x [gha:acme/shop#555]',
      createdAt: '2025-01-10T10:00:00Z'
    })
    expect(await resolve()).toEqual([700])
    expect(rt.outcome.status).toBeUndefined()
    expect(fake.requests.map((r) => r.query.filter)).toEqual([undefined, 'all'])
  })

  it('refuses a run still in progress', async () => {
    const { api, resolve, rt } = await conditional({
      runs: [deployRun({ status: 'in_progress', conclusion: null })]
    })
    const error = await rejection(resolve())
    expect(error.message).toBe(
      "Run 555 is in_progress, not completed: 'Deploy' may still change the server, so nothing was restored. Roll it back once the run has ended."
    )
    expect(api.requests).toEqual([])
    expect(rt.outcome.status).toBeUndefined()
  })

  it.each([
    ['401', { token: 'ghs_another' }, 'HTTP 401: Bad credentials. github_token was refused.'],
    [
      '403',
      { refuse: 403 as const },
      'HTTP 403: Resource not accessible by integration. github_token needs `actions: read`'
    ],
    ['404', { refuse: 404 as const }, 'HTTP 404: Not Found. github_token needs `actions: read`']
  ])('fails on %s, restoring nothing', async (_, options, message) => {
    const { api, resolve, rt } = await conditional(options)
    const error = await rejection(resolve())
    expect(error.message).toContain(
      `Could not read run 555 of acme/shop from the GitHub API: ${message}`
    )
    expect(api.requests).toEqual([])
    expect(rt.outcome.status).toBeUndefined()
  })

  it('fails on a network failure, after its retries, restoring nothing', async () => {
    const { api, resolve, rt } = await conditional({}, {}, 'http://127.0.0.1:9')
    const error = await rejection(resolve())
    expect(error.message).toMatch(
      /^Could not read run 555 of acme\/shop from the GitHub API: network error/
    )
    expect(api.requests).toEqual([])
    expect(rt.outcome.status).toBeUndefined()
  })

  it('fails on a rate limit that outlasts the step, restoring nothing', async () => {
    const { api, resolve, rt, fake, clock } = await conditional()
    const reset = Math.floor(clock.now() / 1000) + 3 * 3600
    fake.answerNext({
      status: 403,
      body: { message: 'API rate limit exceeded' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }
    })
    const error = await rejection(resolve())
    expect(error.message).toContain("GitHub's API rate limit for github_token is reached")
    expect(api.requests).toEqual([])
    expect(rt.outcome.status).toBeUndefined()
  })

  it("fails at the run reader's page cap, restoring nothing", async () => {
    const jobs = Array.from({ length: MAX_PAGES + 1 }, () => deployRun().jobs[0]!)
    const { api, resolve, rt } = await conditional({ runs: [deployRun({ jobs })], pageSize: 1 })
    const error = await rejection(resolve())
    expect(error.message).toContain(`more than ${MAX_PAGES} pages of jobs`)
    expect(api.requests).toEqual([])
    expect(rt.outcome.status).toBeUndefined()
  })
})

describe('resolveRunBackups: a run superseded by a newer one is not restored', () => {
  it('skips, naming the newer run and its backup', async () => {
    const { api, resolve, rt } = await conditional()
    api.addBackup({
      id: 700,
      description: 'x [gha:acme/shop#555]',
      createdAt: '2025-01-10T10:00:00Z'
    })
    api.addBackup({
      id: 701,
      description: 'y [gha:acme/shop#556]',
      createdAt: '2025-01-10T10:05:00Z',
      status: 'in_progress'
    })
    expect(await resolve()).toBeUndefined()
    expect(rt.outcome.status).toBe('skipped')
    expect(rt.outcome.skipped).toBe(
      "A newer run of acme/shop has backed up since run 555: server 12345: run 556's backup 701 (in_progress), after run 555's backup 700. Restoring run 555's backup would undo a newer deploy, so nothing was restored."
    )
  })

  it('a newer backup that failed does not count', async () => {
    const { api, resolve } = await conditional()
    api.addBackup({
      id: 700,
      description: 'x [gha:acme/shop#555]',
      createdAt: '2025-01-10T10:00:00Z'
    })
    api.addBackup({
      id: 701,
      description: 'y [gha:acme/shop#556]',
      createdAt: '2025-01-10T10:05:00Z',
      status: 'failed'
    })
    expect(await resolve()).toEqual([700])
  })

  it('a plain run:<run_id> (asked by a person) restores what was asked', async () => {
    const { api, resolve } = await conditional({}, { only_if_step_started: '' })
    api.addBackup({
      id: 700,
      description: 'x [gha:acme/shop#555]',
      createdAt: '2025-01-10T10:00:00Z'
    })
    api.addBackup({
      id: 701,
      description: 'y [gha:acme/shop#556]',
      createdAt: '2025-01-10T10:05:00Z'
    })
    expect(await resolve()).toEqual([700])
  })

  it('a fleet with one server superseded: skipped whole, naming that server', async () => {
    const { api, resolve, rt, servers } = await conditional({}, { server_id: '101, 102' })
    for (const serverId of [101, 102]) {
      api.addBackup({
        id: serverId * 10,
        serverId,
        description: 'x [gha:acme/shop#555]',
        createdAt: '2025-01-10T10:00:00Z'
      })
    }
    api.addBackup({
      id: 1021,
      serverId: 102,
      description: 'y [gha:acme/shop#556]',
      createdAt: '2025-01-10T10:05:00Z'
    })
    expect(await resolve()).toBeUndefined()
    expect([rt.outcome.status, ...servers.map((s) => s.outcome.status)]).toEqual([
      'skipped',
      'skipped',
      'skipped'
    ])
    expect(rt.outcome.skipped).toBe(
      "A newer run of acme/shop has backed up since run 555: server 102: run 556's backup 1021 (completed), after run 555's backup 1020. Restoring run 555's backup would undo a newer deploy, so nothing was restored on any server (a fleet is restored whole or not at all)."
    )
  })

  it('a re-run: restores the backup of the attempt that started the deploy', async () => {
    const jobs: FakeJob[] = [
      { name: 'deploy', attempt: 1, steps: [{ name: 'Deploy', ...started }] },
      {
        name: 'deploy',
        attempt: 2,
        steps: [{ name: 'Deploy', status: 'completed', conclusion: 'skipped' }]
      }
    ]
    const { api, resolve } = await conditional({ runs: [deployRun({ jobs })] })
    api.addBackup({
      id: 700,
      description: 'a1 [gha:acme/shop#555/1/d45f646c/0a1b2c3d]',
      createdAt: '2025-01-10T10:00:00Z'
    })
    api.addBackup({
      id: 701,
      description: 'a2 [gha:acme/shop#555/2/d45f646c/5e6f7a8b]',
      createdAt: '2025-01-10T10:05:00Z'
    })
    expect(await resolve()).toEqual([700])
  })
})

describe('resolveRunBackups: what it says and links', () => {
  const own = { id: 700, description: 'x [gha:acme/shop#555]', createdAt: '2025-01-10T10:00:00Z' }

  it('links to the run GitHub names, logs in a group, and says what it found', async () => {
    const { api, resolve, rt, log } = await conditional()
    api.addBackup(own)
    expect(await resolve()).toEqual([700])
    expect(rt.outcome.run).toEqual({
      id: 555,
      url: 'https://github.com/acme/shop/actions/runs/555'
    })
    expect(log.lines.filter((line) => line.level !== 'debug')).toEqual([
      { level: 'group', message: 'Read run 555 from GitHub' },
      {
        level: 'info',
        message: "Run 555 had started 'Deploy' (attempt 1): the server may have been changed."
      },
      { level: 'info', message: 'Run 555 made backup 700 of server 12345.' }
    ])
  })

  /** The run page a `run:555` restore links to, with GitHub at `fake` and the server at ghes.example. */
  async function runUrlOnGhes(fake: FakeGitHub): Promise<string> {
    const step = setup(
      {
        mode: 'restore',
        backup_id: 'run:555',
        only_if_step_started: 'Deploy',
        github_token: GITHUB_TOKEN
      },
      { apiUrl: fake.url, serverUrl: 'https://ghes.example' }
    )
    ;(step.rt.dispatcher as MockAgent).enableNetConnect(/^127\.0\.0\.1:/)
    step.api.addBackup(own)
    await resolveRunBackups(
      step.rt,
      [step.rt],
      { runId: 555, onlyIfStepStarted: 'Deploy' },
      'restore'
    )
    return step.rt.outcome.run!.url
  }

  it('links to the run page GitHub gives, not the one the context implies', async () => {
    const fake = await FakeGitHub.start({ token: GITHUB_TOKEN, runs: [deployRun()] })
    fakes.push(fake)
    expect(await runUrlOnGhes(fake)).toBe('https://github.com/acme/shop/actions/runs/555')
  })

  it('without only_if_step_started: links to the run the context implies, reads no GitHub', async () => {
    const { api, resolve, rt, fake } = await conditional({}, { only_if_step_started: '' })
    api.addBackup(own)
    await resolve()
    expect(rt.outcome.run).toEqual({
      id: 555,
      url: 'https://github.com/acme/shop/actions/runs/555'
    })
    expect(fake.requests).toEqual([])
  })

  it.each([
    ['cancelled', 'was cancelled'],
    ['failure', 'ended (failure)'],
    [null, 'ended (no conclusion)']
  ])('never started, run %s: skipped, says so, asks VPS.org nothing', async (conclusion, ended) => {
    const jobs: FakeJob[] = [{ name: 'deploy', steps: [] }]
    const { api, resolve, rt, log } = await conditional({ runs: [deployRun({ conclusion, jobs })] })
    api.addBackup(own)
    expect(await resolve()).toBeUndefined()
    const why = `Run 555 ${ended} before 'Deploy' started: the server was never changed; nothing was restored.`
    expect(rt.outcome).toMatchObject({ status: 'skipped', skipped: why })
    expect(log.of('info')).toEqual([why])
    expect(api.requests).toEqual([])
  })

  it('a run of another repository is refused', async () => {
    const { resolve, rt } = await conditional({
      runs: [deployRun({ repository: 'evil/other', servedUnder: 'acme/shop' })]
    })
    const error = await rejection(resolve())
    expect(error.message).toBe(
      'Run 555 belongs to evil/other, not acme/shop: only a run of this repository can be rolled back; nothing was restored.'
    )
    expect(rt.outcome.status).toBeUndefined()
  })

  it.each([
    ['not https', 'javascript:alert(1)'],
    ['not a URL at all', 'the run page']
  ])(
    'a page link GitHub gives that is %s is not linked to: the run the context implies, and no failure',
    async (_, htmlUrl) => {
      const fake = await FakeGitHub.start({ token: GITHUB_TOKEN, runs: [deployRun()] })
      fakes.push(fake)
      fake.answerNext({
        status: 200,
        body: {
          id: 555,
          html_url: htmlUrl,
          status: 'completed',
          conclusion: 'cancelled',
          repository: { full_name: 'acme/shop' }
        }
      })
      expect(await runUrlOnGhes(fake)).toBe('https://ghes.example/acme/shop/actions/runs/555')
    }
  )

  it('a fleet with a server the run did not back up: one line naming every server', async () => {
    const { api, resolve, log } = await conditional({}, { server_id: '101, 102' })
    api.addBackup({ ...own, id: 1010, serverId: 101 })
    const error = await rejection(resolve())
    expect(error.message).toBe(
      '1 of 2 servers failed. Server 102: Run 555 made no completed backup of server 102; no restore was requested; server 101: backup 1010.'
    )
    expect(log.of('group')).toEqual(['Read run 555 from GitHub', "Find run 555's backups"])
  })

  it('a fleet with two servers superseded names both', async () => {
    const { api, resolve, rt } = await conditional({}, { server_id: '101, 102' })
    for (const serverId of [101, 102]) {
      api.addBackup({ ...own, id: serverId * 10, serverId })
      api.addBackup({
        id: serverId * 10 + 1,
        serverId,
        description: 'y [gha:acme/shop#556]',
        createdAt: '2025-01-10T10:05:00Z'
      })
    }
    expect(await resolve()).toBeUndefined()
    expect(rt.outcome.skipped).toContain(
      "server 101: run 556's backup 1011 (completed), after run 555's backup 1010; server 102: run 556's backup 1021"
    )
  })

  it("a fleet delete: a server without that run's backup is named none when another fails", async () => {
    const step = setup({ mode: 'delete', backup_id: 'run:555', server_id: '101, 102' })
    step.api.hook = (call) =>
      call.url.searchParams.get('server_id') === '102'
        ? { status: 400, body: { detail: 'No.' } }
        : undefined
    const error = await rejection(
      resolveRunBackups(step.rt, serverRuntimes(step.rt), { runId: 555 }, 'delete')
    )
    expect(error.message).toBe(
      '1 of 2 servers failed. Server 102: Could not list the backups of server 102: HTTP 400: No; server 101: none.'
    )
  })

  it('delete: warns about a server the run did not back up', async () => {
    const step = setup({ mode: 'delete', backup_id: 'run:555' })
    expect(await resolveRunBackups(step.rt, [step.rt], { runId: 555 }, 'delete')).toEqual([
      undefined
    ])
    expect(step.log.of('warning')).toEqual([
      'Run 555 made no completed backup of server 12345: nothing was deleted.'
    ])
    expect(step.rt.outcome.status).toBe('not_found')
  })
})
