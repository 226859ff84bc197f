import { describe, expect, it } from 'vitest'
import { LOCAL_GITHUB_TOKEN, type StepResult } from '../../scripts/local-runner.js'
import type { FakeJob, FakeRun, FakeGitHub } from '../../simulator/github.js'
import type { Simulator } from '../../simulator/server.js'
import { SERVER_ID, errorLine, fakeGitHub, restorePosts, simulator, step } from './fixture.js'

/**
 * backup_id: run:<run_id> and only_if_step_started, run as the runner runs dist/index.js: the
 * VPS.org simulator on one side, a fake GitHub API (GITHUB_API_URL) on the other, @actions/github's
 * real Octokit in between. The companion workflow's own run is 777; the deploy run it rolls back
 * is 555.
 */

const DEPLOY_RUN = 555
const GITHUB_TOKEN = 'ghs_TestJobToken1111111111111111111111'

async function github(
  runs: FakeRun[],
  options: { refuse?: 403 | 404; linkTo?: string } = {}
): Promise<FakeGitHub> {
  // Two jobs a page: a run of three jobs takes two pages.
  return fakeGitHub({ token: GITHUB_TOKEN, runs, pageSize: 2, ...options })
}

const started = { status: 'completed', started_at: '2026-11-27T10:00:00Z' }
/**
 * A cancelled deploy run of acme/shop whose last job's `Deploy` step is `deploy`; without one, the
 * deploy job never started (GitHub lists no steps for it).
 */
function deployRun(deploy: FakeJob['steps'][number] | undefined, extra: Partial<FakeRun> = {}) {
  const jobs: FakeJob[] = [
    { name: 'lint', steps: [{ name: 'Lint', ...started, conclusion: 'success' }] },
    { name: 'test', steps: [{ name: 'Test', ...started, conclusion: 'success' }] },
    {
      name: 'deploy',
      steps: deploy ? [{ name: 'Back up', ...started, conclusion: 'success' }, deploy] : []
    }
  ]
  return {
    id: DEPLOY_RUN,
    repository: 'acme/shop',
    status: 'completed',
    conclusion: 'cancelled',
    jobs,
    ...extra
  }
}

/** The backup run 555 of acme/shop made, as the action tags it. */
function deployBackup(sim: Simulator, repository = 'acme/shop'): number {
  return sim.addBackup({
    serverId: SERVER_ID,
    createdAt: '2026-11-27T09:59:00Z',
    description: `Pre-deployment backup [gha:${repository}#${DEPLOY_RUN}]`
  }).id
}

/** A restore step of the companion workflow (run 777), reading GitHub at `fake`. */
function rollback(
  sim: Simulator,
  fake: FakeGitHub | undefined,
  inputs: Record<string, string> = {}
): Promise<StepResult> {
  return step(
    sim,
    {
      mode: 'restore',
      backup_id: `run:${DEPLOY_RUN}`,
      only_if_step_started: 'Deploy',
      github_token: GITHUB_TOKEN,
      ...inputs
    },
    { env: { GITHUB_RUN_ID: '777', GITHUB_API_URL: fake?.url ?? 'http://127.0.0.1:9' } }
  )
}

/** Neither token strays: the GitHub token only to GitHub, the VPS.org token only to VPS.org. */
function expectTokensApart(sim: Simulator, fake: FakeGitHub, result: StepResult): void {
  for (const request of fake.requests) {
    expect(request.headers.authorization).toBe(`token ${GITHUB_TOKEN}`)
    expect(JSON.stringify(request)).not.toContain(sim.token)
  }
  for (const request of sim.requests) {
    expect(JSON.stringify(request)).not.toContain(GITHUB_TOKEN)
  }
  for (const place of [result.log, result.summary, JSON.stringify(result.outputs)]) {
    expect(place).not.toContain(GITHUB_TOKEN)
  }
  expect(JSON.stringify(result.state)).not.toContain(GITHUB_TOKEN)
}

describe('backup_id: run:<run_id> with only_if_step_started, through dist/ and Octokit', () => {
  it('the deploy step had started: restores the backup that run made, and links to the run', async () => {
    const sim = await simulator()
    const fake = await github([deployRun({ name: 'Deploy', ...started, conclusion: 'cancelled' })])
    const id = deployBackup(sim)
    const result = await rollback(sim, fake)
    expect(result.exitCode).toBe(0)
    expect(sim.restores).toEqual([expect.objectContaining({ serverId: SERVER_ID, backupId: id })])
    expect(result.outputs).toMatchObject({ backup_id: String(id), status: 'active' })
    // The run, then both pages of the jobs of all its attempts (Deploy is in the third job).
    expect(fake.requests.map((r) => [r.path, r.query.page, r.query.filter])).toEqual([
      [`/repos/acme/shop/actions/runs/${DEPLOY_RUN}`, undefined, undefined],
      [`/repos/acme/shop/actions/runs/${DEPLOY_RUN}/jobs`, undefined, 'all'],
      [`/repos/acme/shop/actions/runs/${DEPLOY_RUN}/jobs`, '2', 'all']
    ])
    expect(result.summary).toContain(
      `<a href="https://github.com/acme/shop/actions/runs/${DEPLOY_RUN}">${DEPLOY_RUN}</a>`
    )
    expectTokensApart(sim, fake, result)
  })

  it.each([
    ['was skipped', { name: 'Deploy', status: 'completed', conclusion: 'skipped' }],
    ['was in a job that never started', undefined],
    [
      'was cancelled before it started',
      { name: 'Deploy', status: 'completed', conclusion: 'cancelled', started_at: null }
    ]
  ])('the deploy step %s: restores nothing, ends green with status skipped', async (_, deploy) => {
    const sim = await simulator()
    const fake = await github([deployRun(deploy)])
    deployBackup(sim)
    const result = await rollback(sim, fake)
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain(
      `Run ${DEPLOY_RUN} was cancelled before 'Deploy' started: the server was never changed`
    )
    expect(result.outputs.status).toBe('skipped')
    expect(restorePosts(sim)).toBe(0)
    expect(sim.requests).toEqual([])
    expect(result.summary).toContain(
      `<strong>Skipped:</strong> Run ${DEPLOY_RUN} was cancelled before &#39;Deploy&#39; started`
    )
    expectTokensApart(sim, fake, result)
  })

  it('a run of another repository: refused, nothing restored', async () => {
    const sim = await simulator()
    const fake = await github([
      deployRun(
        { name: 'Deploy', ...started, conclusion: 'success' },
        {
          repository: 'evil/other',
          servedUnder: 'acme/shop'
        }
      )
    ])
    deployBackup(sim)
    const result = await rollback(sim, fake)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain(
      `Run ${DEPLOY_RUN} belongs to evil/other, not acme/shop: only a run of this repository can be rolled back`
    )
    expect(restorePosts(sim)).toBe(0)
  })

  it.each([403, 404] as const)(
    'GitHub answers %i: one line naming the permission to add, nothing restored',
    async (status) => {
      const sim = await simulator()
      const fake = await github(
        [deployRun({ name: 'Deploy', ...started, conclusion: 'success' })],
        {
          refuse: status
        }
      )
      deployBackup(sim)
      const result = await rollback(sim, fake)
      expect(result.exitCode).toBe(1)
      const line = errorLine(result)
      expect(line).toContain(
        `Could not read run ${DEPLOY_RUN} of acme/shop from the GitHub API: HTTP ${status}`
      )
      expect(line).toContain('`actions: read`')
      expect(restorePosts(sim)).toBe(0)
      expectTokensApart(sim, fake, result)
    }
  )

  it('github_token defaults to the job token, masked and sent only to GitHub', async () => {
    const sim = await simulator()
    const fake = await fakeGitHub({
      token: LOCAL_GITHUB_TOKEN,
      runs: [deployRun({ name: 'Deploy', ...started, conclusion: 'failure' })]
    })
    const id = deployBackup(sim)
    const result = await step(
      sim,
      { mode: 'restore', backup_id: `run:${DEPLOY_RUN}`, only_if_step_started: 'Deploy' },
      { env: { GITHUB_API_URL: fake.url } }
    )
    expect(result.exitCode).toBe(0)
    expect(sim.restores).toEqual([expect.objectContaining({ backupId: id })])
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(
      Array(2).fill(`token ${LOCAL_GITHUB_TOKEN}`)
    )
    for (const request of sim.requests)
      expect(JSON.stringify(request)).not.toContain(LOCAL_GITHUB_TOKEN)
    expect(result.log + result.summary).not.toContain(LOCAL_GITHUB_TOKEN)
  })
})

describe('run:<run_id> with only_if_step_started: what the run and the server say since', () => {
  const deployStarted = { name: 'Deploy', ...started, conclusion: 'cancelled' }

  it('a newer run has backed the server up since: skipped, naming that run and its backup', async () => {
    const sim = await simulator()
    const fake = await github([deployRun(deployStarted)])
    const id = deployBackup(sim)
    const newer = sim.addBackup({
      serverId: SERVER_ID,
      createdAt: '2026-11-27T10:20:00Z',
      description: `Pre-deployment backup [gha:acme/shop#${DEPLOY_RUN + 1}/1/d45f646c/0a1b2c3d]`
    }).id
    const result = await rollback(sim, fake)
    expect(result.exitCode).toBe(0)
    expect(result.outputs.status).toBe('skipped')
    expect(result.log).toContain(
      `A newer run of acme/shop has backed up since run ${DEPLOY_RUN}: server ${SERVER_ID}: run ${DEPLOY_RUN + 1}'s backup ${newer} (completed), after run ${DEPLOY_RUN}'s backup ${id}. Restoring run ${DEPLOY_RUN}'s backup would undo a newer deploy, so nothing was restored.`
    )
    expect(restorePosts(sim)).toBe(0)
    expectTokensApart(sim, fake, result)
  })

  it('a step name that matches no step of the run fails, listing the names it has', async () => {
    const sim = await simulator()
    const fake = await github([deployRun(deployStarted)])
    deployBackup(sim)
    const result = await rollback(sim, fake, { only_if_step_started: 'deploy' })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toBe(
      `Run ${DEPLOY_RUN} has no step named 'deploy' (only_if_step_started matches a step's name exactly, case-sensitive); its steps are 'Lint', 'Test', 'Back up', 'Deploy'. Nothing was restored.`
    )
    expect(restorePosts(sim)).toBe(0)
  })

  it('a re-run: attempt 1 started the deploy, attempt 2 did not: restores', async () => {
    const sim = await simulator()
    const first = deployRun(deployStarted).jobs.map((job) => ({ ...job, attempt: 1 }))
    const second = deployRun({
      name: 'Deploy',
      status: 'completed',
      conclusion: 'skipped'
    }).jobs.map((job) => ({ ...job, attempt: 2 }))
    const fake = await github([deployRun(undefined, { jobs: [...first, ...second] })])
    const id = deployBackup(sim)
    const result = await rollback(sim, fake)
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain(`Run ${DEPLOY_RUN} had started 'Deploy' (attempt 1)`)
    expect(sim.restores).toEqual([expect.objectContaining({ backupId: id })])
  })

  it('a run that rolled itself back (unless_step_started): skipped, restored once only', async () => {
    const sim = await simulator()
    const run = deployRun(
      { name: 'Deploy', ...started, conclusion: 'failure' },
      { conclusion: 'failure' }
    )
    run.jobs[2]!.steps.push({ name: 'Roll back', ...started, conclusion: 'success' })
    const fake = await github([run])
    deployBackup(sim)
    const result = await rollback(sim, fake, { unless_step_started: 'Roll back' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.status).toBe('skipped')
    expect(result.log).toContain(
      `Run ${DEPLOY_RUN} ended (failure) after 'Deploy' had started (attempt 1), and so had its own 'Roll back': the run rolled the server back itself; nothing was restored.`
    )
    expect(restorePosts(sim)).toBe(0)
  })

  it('a next-page link to another origin: an error, not a request; nothing restored', async () => {
    const sim = await simulator()
    const elsewhere = await github([])
    const other = elsewhere.url.replace('127.0.0.1', 'localhost')
    const fake = await github([deployRun(deployStarted)], { linkTo: other })
    deployBackup(sim)
    const result = await rollback(sim, fake)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toBe(
      `Could not list the jobs of run ${DEPLOY_RUN} of acme/shop from the GitHub API: the API pointed to another origin (${other}); github_token is only sent to ${fake.url}.`
    )
    expect(elsewhere.requests).toEqual([])
    expect(restorePosts(sim)).toBe(0)
  })

  it('GitHub answers 502 once: the read is retried and the rollback goes on', async () => {
    const sim = await simulator()
    const fake = await github([deployRun(deployStarted)])
    fake.answerNext({ status: 502, body: { message: 'Server Error' } })
    const id = deployBackup(sim)
    const result = await rollback(sim, fake)
    expect(result.exitCode).toBe(0)
    expect(result.log).toMatch(
      new RegExp(
        `Could not read /repos/acme/shop/actions/runs/${DEPLOY_RUN} from the GitHub API: HTTP 502: Server Error\\. Retrying in [\\d.]+s \\(attempt 2 of 5\\)`
      )
    )
    expect(sim.restores).toEqual([expect.objectContaining({ backupId: id })])
  })

  it('a rate limit (403, no requests left until after the timeout) is named as one; nothing restored', async () => {
    const sim = await simulator()
    const fake = await github([deployRun(deployStarted)])
    const reset = Math.floor(Date.now() / 1000) + 3 * 3600
    fake.answerNext({
      status: 403,
      body: { message: 'API rate limit exceeded for installation ID 1.' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }
    })
    deployBackup(sim)
    const result = await rollback(sim, fake)
    expect(result.exitCode).toBe(1)
    const line = errorLine(result)
    expect(line).toContain(
      `HTTP 403: API rate limit exceeded for installation ID 1. GitHub's API rate limit for github_token is reached until ${new Date(reset * 1000).toISOString()} (not a missing permission)`
    )
    expect(line).not.toContain('actions: read')
    expect(fake.requests).toHaveLength(1)
    expect(restorePosts(sim)).toBe(0)
  })

  it('a huge answer is cut off at the size cap; nothing restored', async () => {
    const sim = await simulator()
    const fake = await fakeGitHub({
      token: GITHUB_TOKEN,
      runs: [deployRun(deployStarted)],
      padBytes: 9 * 1024 * 1024
    })
    deployBackup(sim)
    const result = await rollback(sim, fake)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toBe(
      `Could not list the jobs of run ${DEPLOY_RUN} of acme/shop from the GitHub API: the answer was larger than ${8 * 1024 * 1024} bytes.`
    )
    expect(restorePosts(sim)).toBe(0)
  })
})

describe('backup_id: run:<run_id> without only_if_step_started', () => {
  it("restores the backup the run's backup step made, reading nothing from GitHub", async () => {
    const sim = await simulator()
    const fake = await github([])
    const backup = await step(sim, {}, { env: { GITHUB_RUN_ID: String(DEPLOY_RUN) } })
    expect(backup.exitCode).toBe(0)
    // Another run's backup, newer: not the one asked for.
    sim.addBackup({ serverId: SERVER_ID, description: 'later [gha:acme/shop#556]' })
    const result = await rollback(sim, fake, { only_if_step_started: '' })
    expect(result.exitCode).toBe(0)
    expect(sim.restores).toEqual([
      expect.objectContaining({ backupId: Number(backup.outputs.backup_id) })
    ])
    expect(fake.requests).toEqual([])
    expect(result.summary).toContain(`/acme/shop/actions/runs/${DEPLOY_RUN}"`)
  })

  it('a run with no completed backup of the server: restore fails in one line', async () => {
    const sim = await simulator()
    deployBackup(sim, 'other/repo')
    const result = await rollback(sim, undefined, { only_if_step_started: '' })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toBe(
      `Run ${DEPLOY_RUN} made no completed backup of server ${SERVER_ID}; no restore was requested.`
    )
    expect(restorePosts(sim)).toBe(0)
  })

  it('delete: deletes that run’s backup; none left: warns and sets not_found', async () => {
    const sim = await simulator()
    const id = deployBackup(sim)
    const inputs = { mode: 'delete', backup_id: `run:${DEPLOY_RUN}` }
    const deleted = await step(sim, inputs)
    expect(deleted.exitCode).toBe(0)
    expect(deleted.outputs).toMatchObject({ backup_id: String(id), status: 'deleted' })
    const again = await step(sim, inputs)
    expect(again.exitCode).toBe(0)
    expect(again.outputs.status).toBe('not_found')
    expect(again.log).toContain(
      `::warning::Run ${DEPLOY_RUN} made no completed backup of server ${SERVER_ID}: nothing was deleted.`
    )
  })

  it.each([
    [{ backup_id: 'run:' }, "Input 'backup_id' must be run:<run_id> with a positive whole number"],
    [{ backup_id: 'run:-3' }, "Input 'backup_id' must be run:<run_id>"],
    [
      { backup_id: '42' },
      "Input 'only_if_step_started' is only for mode: restore with backup_id: run:<run_id>"
    ],
    [{ mode: 'delete' }, "Input 'only_if_step_started' is only for mode: restore"],
    [
      { only_if_step_started: '   ' },
      "Input 'only_if_step_started' must be the name of the deploy step"
    ]
  ])('bad input %j: one line, before any request', async (inputs, message) => {
    const sim = await simulator()
    const fake = await github([])
    const result = await rollback(sim, fake, inputs)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain(message)
    expect(sim.requests).toEqual([])
    expect(fake.requests).toEqual([])
  })
})
