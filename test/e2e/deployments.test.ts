import { describe, expect, it } from 'vitest'
import type { StepOptions, StepResult } from '../../scripts/local-runner.js'
import type { FakeDeployment, FakeGitHub } from '../../simulator/github.js'
import type { Simulator } from '../../simulator/server.js'
import {
  SERVER_ID,
  fakeGitHub,
  backupPosts,
  errorLine,
  restorePosts,
  simulator,
  step
} from './fixture.js'

/**
 * The deploy ledger (input environment, issue 22), run as the runner runs dist/index.js: the
 * VPS.org simulator, and a fake GitHub API (GITHUB_API_URL) whose Deployments API @actions/github's
 * real Octokit talks to. The deploy run is 555 of acme/shop at SHA; a companion workflow's is 777.
 */

const GITHUB_TOKEN = 'ghs_TestJobToken2222222222222222222222'
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b'
const OTHER_SHA = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'
const DEPLOY_RUN = 555
const ENVIRONMENT = 'production'
const runUrl = (run: number) => `https://github.com/acme/shop/actions/runs/${run}`
async function github(options: { refuseDeployments?: 403 | 404 } = {}): Promise<FakeGitHub> {
  return fakeGitHub({ token: GITHUB_TOKEN, runs: [], ...options })
}

const warnings = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning::'))

/** A step of run `run` (attempt `attempt`) of acme/shop at `sha`, with the ledger of `fake`. */
function ledgerStep(
  sim: Simulator,
  fake: FakeGitHub,
  inputs: Record<string, string> = {},
  context: { run?: number; attempt?: number; sha?: string } = {},
  options: Omit<StepOptions, 'with' | 'env'> = {}
): Promise<StepResult> {
  return step(
    sim,
    { environment: ENVIRONMENT, github_token: GITHUB_TOKEN, ...inputs },
    {
      ...options,
      env: {
        GITHUB_API_URL: fake.url,
        GITHUB_RUN_ID: String(context.run ?? DEPLOY_RUN),
        GITHUB_RUN_ATTEMPT: String(context.attempt ?? 1),
        GITHUB_SHA: context.sha ?? SHA
      }
    }
  )
}

const states = (d: FakeDeployment | undefined) => d?.statuses.map((s) => s.state)

/** The backup step of the deploy run: one deployment, in_progress. */
async function deployed(sim: Simulator, fake: FakeGitHub, inputs: Record<string, string> = {}) {
  const main = await ledgerStep(sim, fake, inputs)
  expect(main.exitCode).toBe(0)
  expect(fake.deployments).toHaveLength(1)
  return { main, deployment: fake.deployments[0]!, backupId: Number(main.outputs.backup_id) }
}

/** A deployment of SHA that run 777 rolled back to backup 501, as this action records it. */
function rolledBack(fake: FakeGitHub, run = DEPLOY_RUN, sha = SHA): FakeDeployment {
  return fake.addDeployment({
    sha,
    environment: ENVIRONMENT,
    payload: {
      action: 'vpsorg/backup-action',
      run_id: run,
      run_attempt: 1,
      backup_ids: { [SERVER_ID]: 501 }
    },
    statuses: [
      { state: 'in_progress', log_url: runUrl(run) },
      {
        state: 'failure',
        description: 'Rolled back to backup 501: restored and healthy',
        log_url: runUrl(777)
      }
    ]
  })
}

describe('the deploy ledger: backup', () => {
  it('creates one deployment of the commit once the backup completed, in_progress, with deployment_id', async () => {
    const sim = await simulator()
    const fake = await github()
    const { main, deployment, backupId } = await deployed(sim, fake)
    expect(deployment).toMatchObject({
      sha: SHA,
      ref: SHA,
      task: 'deploy',
      environment: ENVIRONMENT,
      payload: {
        action: 'vpsorg/backup-action',
        run_id: DEPLOY_RUN,
        run_attempt: 1,
        backup_ids: { [SERVER_ID]: backupId }
      }
    })
    const create = fake.deploymentRequests.find((r) => r.method === 'POST')!
    expect(create.body).toMatchObject({ auto_merge: false, required_contexts: [] })
    expect(deployment.statuses).toEqual([
      expect.objectContaining({ state: 'in_progress', log_url: runUrl(DEPLOY_RUN) })
    ])
    expect(main.outputs.deployment_id).toBe(String(deployment.id))
    // The quarantine's read of this commit's deployments came first, before any VPS.org request.
    expect(fake.deploymentRequests.map((r) => [r.method, r.path, r.query.sha])).toEqual([
      ['GET', '/repos/acme/shop/deployments', SHA],
      ['POST', '/repos/acme/shop/deployments', undefined],
      ['POST', `/repos/acme/shop/deployments/${deployment.id}/statuses`, undefined]
    ])
    expect(main.summary).toContain(
      `<a href="https://github.com/acme/shop/deployments/production">production</a>`
    )
    expect(warnings(main.log)).toEqual([])
    for (const request of fake.requests) {
      expect(request.headers.authorization).toBe(`token ${GITHUB_TOKEN}`)
    }
    expect(JSON.stringify(sim.requests)).not.toContain(GITHUB_TOKEN)
  })

  it('one deployment for a step of several servers, naming every backup', async () => {
    const sim = await simulator({
      servers: [
        { id: 101, name: 'web' },
        { id: 102, name: 'worker' }
      ]
    })
    const fake = await github()
    const main = await ledgerStep(sim, fake, { server_id: '101, 102' })
    expect(main.exitCode).toBe(0)
    expect(fake.deployments).toHaveLength(1)
    const ids = JSON.parse(main.outputs.backup_ids!) as Record<string, number>
    expect(fake.deployments[0]!.payload).toMatchObject({ backup_ids: ids })
    expect(main.outputs.deployment_id).toBe(String(fake.deployments[0]!.id))
  })

  it('a backup that fails creates no deployment', async () => {
    const sim = await simulator()
    sim.nextBackupOutcomes.push('failed')
    const fake = await github()
    const main = await ledgerStep(sim, fake)
    expect(main.exitCode).toBe(1)
    expect(fake.deployments).toEqual([])
    expect(main.outputs.deployment_id).toBeUndefined()
  })

  it('without environment, no request reaches the Deployments API in any mode', async () => {
    const sim = await simulator({ app: {} })
    const fake = await github()
    const none = { environment: '' }
    const main = await ledgerStep(sim, fake, { ...none, rollback_on_failure: 'true' })
    expect(main.exitCode).toBe(0)
    const post = await ledgerStep(
      sim,
      fake,
      { ...none, rollback_on_failure: 'true' },
      {},
      {
        post: { state: main.state }
      }
    )
    expect(post.exitCode).toBe(0)
    const restore = await ledgerStep(sim, fake, {
      ...none,
      mode: 'restore',
      backup_id: main.outputs.backup_id!
    })
    expect(restore.exitCode).toBe(0)
    const verify = await ledgerStep(sim, fake, {
      ...none,
      mode: 'verify',
      health_url: sim.app(SERVER_ID).healthUrl
    })
    expect(verify.exitCode).toBe(0)
    expect(fake.requests).toEqual([])
    expect(main.outputs.deployment_id).toBeUndefined()
    expect(main.summary).not.toContain('Deployments')
  })
})

describe('the deploy ledger: verify', () => {
  it('sets success when the app is healthy', async () => {
    const sim = await simulator({ app: {} })
    const fake = await github()
    const { deployment } = await deployed(sim, fake)
    const verify = await ledgerStep(sim, fake, {
      mode: 'verify',
      health_url: sim.app(SERVER_ID).healthUrl
    })
    expect(verify.exitCode).toBe(0)
    expect(states(deployment)).toEqual(['in_progress', 'success'])
    expect(deployment.statuses[1]).toMatchObject({
      description: 'Deployed: the app is healthy (1 check)',
      log_url: runUrl(DEPLOY_RUN)
    })
    expect(verify.outputs.deployment_id).toBe(String(deployment.id))
  })

  it('sets failure with what the checks last saw when the app is not healthy', async () => {
    const sim = await simulator({ app: { fault: 'broken' } })
    const fake = await github()
    const { deployment } = await deployed(sim, fake)
    const url = sim.app(SERVER_ID).healthUrl
    const verify = await ledgerStep(sim, fake, {
      mode: 'verify',
      health_url: url,
      health_timeout: '2s'
    })
    expect(verify.exitCode).toBe(1)
    expect(states(deployment)).toEqual(['in_progress', 'failure'])
    const { description } = deployment.statuses[1]!
    expect(description).toMatch(new RegExp(`^The app is not healthy: ${url} last answered HTTP 5`))
    expect([...description].length).toBeLessThanOrEqual(140)
  }, 30_000)

  it('without health_url records success, with a warning that no app check ran', async () => {
    const sim = await simulator()
    const fake = await github()
    const { deployment } = await deployed(sim, fake)
    const verify = await ledgerStep(sim, fake, { mode: 'verify' })
    expect(verify.exitCode).toBe(0)
    expect(states(deployment)).toEqual(['in_progress', 'success'])
    const warning = warnings(verify.log)
    expect(warning).toHaveLength(1)
    expect(warning[0]).toContain('No app check ran')
  })
})

describe('the deploy ledger: every road of a rollback sets failure, Rolled back …', () => {
  it('the if: failure() restore step', async () => {
    const sim = await simulator({ app: {} })
    const fake = await github()
    const { deployment, backupId } = await deployed(sim, fake)
    const restore = await ledgerStep(sim, fake, {
      mode: 'restore',
      backup_id: String(backupId),
      health_url: sim.app(SERVER_ID).healthUrl
    })
    expect(restore.exitCode).toBe(0)
    expect(states(deployment)).toEqual(['in_progress', 'failure'])
    expect(deployment.statuses[1]).toMatchObject({
      description: `Rolled back to backup ${backupId}: restored and healthy`,
      log_url: runUrl(DEPLOY_RUN)
    })
  })

  it('the post step (rollback_on_failure)', async () => {
    const sim = await simulator()
    const fake = await github()
    const inputs = { rollback_on_failure: 'true' }
    const { main, deployment, backupId } = await deployed(sim, fake, inputs)
    const post = await ledgerStep(sim, fake, inputs, {}, { post: { state: main.state } })
    expect(post.exitCode).toBe(0)
    expect(sim.restores).toHaveLength(1)
    expect(states(deployment)).toEqual(['in_progress', 'failure'])
    expect(deployment.statuses[1]!.description).toBe(
      `Rolled back to backup ${backupId}: restored, no app check`
    )
  })

  it('a restore that fails says so', async () => {
    const sim = await simulator()
    const fake = await github()
    const { deployment, backupId } = await deployed(sim, fake)
    sim.nextRestoreOutcomes.push('error')
    const restore = await ledgerStep(sim, fake, { mode: 'restore', backup_id: String(backupId) })
    expect(restore.exitCode).toBe(1)
    expect(deployment.statuses[1]).toMatchObject({
      state: 'failure',
      description: `Rolled back to backup ${backupId}: restore failed`
    })
  })

  it('run:<run_id> from another workflow: the log links to the run that rolled back', async () => {
    const sim = await simulator()
    const fake = await github()
    const { deployment, backupId } = await deployed(sim, fake)
    const companion = await ledgerStep(
      sim,
      fake,
      { mode: 'restore', backup_id: `run:${DEPLOY_RUN}` },
      { run: 777, sha: OTHER_SHA }
    )
    expect(companion.exitCode).toBe(0)
    expect(sim.restores).toEqual([expect.objectContaining({ backupId })])
    expect(deployment.statuses[1]).toMatchObject({
      state: 'failure',
      description: `Rolled back to backup ${backupId}: restored, no app check`,
      log_url: runUrl(777)
    })
  })

  it('no deployment names the backup: one warning, the restore unchanged', async () => {
    const sim = await simulator()
    const fake = await github()
    const backupId = sim.addBackup({ serverId: SERVER_ID }).id
    const restore = await ledgerStep(sim, fake, { mode: 'restore', backup_id: String(backupId) })
    expect(restore.exitCode).toBe(0)
    expect(restore.outputs.status).toBe('active')
    const warning = warnings(restore.log)
    expect(warning).toHaveLength(1)
    expect(warning[0]).toContain(`No deployment of production names backup ${backupId}`)
  })
})

describe('the deploy ledger: quarantine of a rolled-back commit', () => {
  it('refuses to back up the commit again, in one line, and backs nothing up', async () => {
    const sim = await simulator()
    const fake = await github()
    rolledBack(fake)
    const again = await ledgerStep(sim, fake, {}, { run: 600 })
    expect(again.exitCode).toBe(1)
    expect(errorLine(again)).toBe(
      `Commit 3f78685 was rolled back in production by ${runUrl(777)} (restored backup 501): it is not deployed again. Push a fix or a revert, or set allow_rolled_back: true to deploy it anyway. Nothing was backed up.`
    )
    expect(sim.requests).toEqual([])
    expect(backupPosts(sim)).toBe(0)
    expect(fake.deployments).toHaveLength(1)
  })

  it('a re-run (attempt 2) of the very run whose deploy was rolled back proceeds, with a warning', async () => {
    const sim = await simulator()
    const fake = await github()
    rolledBack(fake)
    const rerun = await ledgerStep(sim, fake, {}, { attempt: 2 })
    expect(rerun.exitCode).toBe(0)
    expect(backupPosts(sim)).toBe(1)
    const warning = warnings(rerun.log)
    expect(warning).toHaveLength(1)
    expect(warning[0]).toContain('this re-run (attempt 2) of run 555 deploys it again')
    expect(fake.deployments).toHaveLength(2)
    expect(fake.deployments[1]!.payload).toMatchObject({ run_id: DEPLOY_RUN, run_attempt: 2 })
  })

  it('allow_rolled_back: true proceeds, with a warning', async () => {
    const sim = await simulator()
    const fake = await github()
    rolledBack(fake)
    const again = await ledgerStep(sim, fake, { allow_rolled_back: 'true' }, { run: 600 })
    expect(again.exitCode).toBe(0)
    expect(backupPosts(sim)).toBe(1)
    expect(warnings(again.log)).toEqual([
      expect.stringContaining('deploying it again, as allow_rolled_back: true asks')
    ])
  })

  it('another commit is never blocked, nor a commit whose newest deployment went on', async () => {
    const sim = await simulator()
    const fake = await github()
    rolledBack(fake, DEPLOY_RUN, OTHER_SHA)
    const other = await ledgerStep(sim, fake, {}, { run: 600 })
    expect(other.exitCode).toBe(0)
    expect(warnings(other.log)).toEqual([])
    // SHA was rolled back once, but its newest deployment since went on (success): not blocked.
    rolledBack(fake, 590, SHA)
    fake.addDeployment({
      sha: SHA,
      environment: ENVIRONMENT,
      payload: { action: 'vpsorg/backup-action', run_id: 601, run_attempt: 1, backup_ids: {} },
      statuses: [{ state: 'success' }]
    })
    const newer = await ledgerStep(sim, fake, {}, { run: 602 })
    expect(newer.exitCode).toBe(0)
  })
})

describe('the deploy ledger never blocks a backup or a rollback', () => {
  it.each([403, 404] as const)(
    'GitHub answers %i: one warning naming deployments: write; the outcome unchanged',
    async (status) => {
      const sim = await simulator()
      const fake = await github({ refuseDeployments: status })
      const main = await ledgerStep(sim, fake, { rollback_on_failure: 'true' })
      expect(main.exitCode).toBe(0)
      expect(backupPosts(sim)).toBe(1)
      expect(main.outputs.deployment_id).toBeUndefined()
      expect(main.outputs.status).toBe('completed')
      const warning = warnings(main.log)
      expect(warning).toHaveLength(1)
      expect(warning[0]).toContain(`HTTP ${status}`)
      expect(warning[0]).toContain('`deployments: write`')
      // Refused once, the ledger asked nothing more of GitHub.
      expect(fake.deploymentRequests).toHaveLength(1)
      const post = await ledgerStep(
        sim,
        fake,
        { rollback_on_failure: 'true' },
        {},
        { post: { state: main.state } }
      )
      expect(post.exitCode).toBe(0)
      expect(restorePosts(sim)).toBe(1)
      expect(warnings(post.log).filter((w) => w.includes('deployments: write'))).toHaveLength(1)
    }
  )

  it('GitHub down: one warning with the error, after the retries; the backup completes', async () => {
    const sim = await simulator()
    const fake = await github()
    const down = { status: 503, body: { message: 'Service Unavailable' } }
    fake.answerNext(
      ...Array.from({ length: 5 }, () => ({ ...down, headers: { 'retry-after': '1' } }))
    )
    const main = await ledgerStep(sim, fake)
    expect(main.exitCode).toBe(0)
    expect(main.outputs.status).toBe('completed')
    expect(fake.deploymentRequests).toHaveLength(5)
    const warning = warnings(main.log)
    expect(warning).toHaveLength(1)
    expect(warning[0]).toContain('The deploy ledger of production is not kept')
    expect(warning[0]).toContain('HTTP 503')
  }, 60_000)
})
