import type { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { runMode } from '../../../src/modes/dispatch.js'
import { FakeGitHub } from '../../../simulator/github.js'
import type { Runtime } from '../../../src/runtime/runtime.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { own } from '../../helpers/run-context.js'

afterEach(closeAgents)

const APP = 'https://shop.example.com'
const GITHUB_TOKEN = 'ghs_DispatchTest3333333333333333333333333'
const AT = '2026-11-27T10:00:00Z'

/** The app at APP answers every check with `status`. */
function app(rt: Runtime, status: number): void {
  ;(rt.dispatcher as MockAgent)
    .get(APP)
    .intercept({ path: '/health' })
    .reply(status, 'app')
    .persist()
}

/** Runs the step's mode; `backedUp` logs a line, so that its place among the groups shows. */
function run(rt: Runtime): Promise<void> {
  return runMode(rt, () => rt.log.info('outputs written'))
}

/** A step of `inputs` on server 12345, which has backup 7. */
function withBackup7(inputs: Record<string, string>) {
  const step = setup(inputs)
  step.api.addBackup({ id: 7, serverId: 12345, description: 'x' })
  return step
}

describe('runMode: backup', () => {
  it('writes the outputs once every backup has completed, then prunes (keep_backups)', async () => {
    const { rt, log } = setup({ keep_backups: '1' })
    await run(rt)
    expect(rt.outcome.backup?.status).toBe('completed')
    const lines = log.lines.map((l) => l.message)
    expect(lines.filter((l) => l === 'outputs written')).toHaveLength(1)
    expect(lines.indexOf('outputs written')).toBe(lines.indexOf('Prune older backups') - 1)
  })

  it('prunes the server’s older backups of this action past keep_backups', async () => {
    const { rt, api } = setup({ keep_backups: '1' })
    api.addBackup({ id: 7, description: own() })
    await run(rt)
    expect(rt.outcome.deleted).toEqual([7])
  })

  it('without keep_backups: neither writes the outputs early nor prunes', async () => {
    const { rt, log } = setup()
    await run(rt)
    expect(rt.outcome.backup?.status).toBe('completed')
    expect(log.text()).not.toContain('outputs written')
    expect(log.of('group')).not.toContain('Prune older backups')
  })

  it('with wait: false: prunes nothing, and warns that rollback_on_failure needs the wait', async () => {
    const { rt, log } = setup({ wait: 'false', keep_backups: '1', rollback_on_failure: 'true' })
    await run(rt)
    expect(rt.outcome.backup?.status).toBe('in_progress')
    expect(log.of('warning')).toEqual([
      'rollback_on_failure needs a completed backup: set wait: true.'
    ])
    expect(log.text()).not.toContain('outputs written')
    expect(log.of('group')).not.toContain('Prune older backups')
    const without = setup({ wait: 'false' })
    await run(without.rt)
    expect(without.log.of('warning')).toEqual([])
  })

  it('a fleet prunes only once every server’s backup completed', async () => {
    const { rt, log, api } = setup({ server_id: '101, 102', keep_backups: '1' })
    api.options.backupDurationMs = 60_000
    await run(rt)
    expect([...rt.outcome.servers!.values()].map((o) => o.backup?.status)).toEqual([
      'completed',
      'completed'
    ])
    expect(log.of('info').filter((l) => l === 'outputs written')).toHaveLength(1)
  })
})

describe('runMode: a fleet whose backups have not all completed (wait: false)', () => {
  it('neither writes the outputs early nor prunes, and warns that a rollback needs them all', async () => {
    const { rt, log, api } = setup(
      { server_id: '101, 102', wait: 'false', keep_backups: '1', rollback_on_failure: 'true' },
      {},
      { 101: { backupDurationMs: 0 } }
    )
    api.addBackup({ id: 7, serverId: 101, description: own() })
    await run(rt)
    expect([...rt.outcome.servers!.values()].map((o) => o.backup?.status)).toEqual([
      'completed',
      'in_progress'
    ])
    expect(log.text()).not.toContain('outputs written')
    expect(log.of('warning')).toEqual([
      'rollback_on_failure needs a completed backup: set wait: true.'
    ])
    expect(rt.outcome.servers!.get(101)!.deleted).toEqual([])
  })
})

describe('runMode: restore', () => {
  it('restores from the backup named, and says it is restored', async () => {
    const { rt } = withBackup7({ mode: 'restore', backup_id: '7' })
    await run(rt)
    expect(rt.outcome.restored).toBe(true)
    expect(rt.outcome.health).toBeUndefined()
  })

  it('then checks the app: a failure names the server and the backup it was restored from', async () => {
    const { rt } = withBackup7({
      mode: 'restore',
      backup_id: '7',
      health_url: `${APP}/health`,
      health_timeout: '10s'
    })
    app(rt, 503)
    const error = await rejection(run(rt))
    expect(error.message).toMatch(
      /^Server 12345 was restored from backup 7 and is active, but the app is not healthy after /
    )
    expect(rt.outcome.health?.healthy).toBe(false)
  })

  it('a fleet: names each server with its backup', async () => {
    const { rt, api } = setup({
      mode: 'restore',
      server_id: '101, 102',
      backup_id: '{"101": 7, "102": 8}',
      health_url: `${APP}/health`,
      health_timeout: '10s'
    })
    api.addBackup({ id: 7, serverId: 101, description: 'x' })
    api.addBackup({ id: 8, serverId: 102, description: 'y' })
    app(rt, 503)
    const error = await rejection(run(rt))
    expect(error.message).toMatch(
      /^Servers 101 from backup 7, 102 from backup 8 were restored and are active, but the app /
    )
  })

  it('a healthy app after the restore: the step succeeds', async () => {
    const { rt } = withBackup7({ mode: 'restore', backup_id: '7', health_url: `${APP}/health` })
    app(rt, 200)
    await run(rt)
    expect(rt.outcome.health?.healthy).toBe(true)
  })

  it('checks no app while the restore is still running (wait: false)', async () => {
    const { rt } = withBackup7({
      mode: 'restore',
      backup_id: '7',
      wait: 'false',
      health_url: `${APP}/health`
    })
    await run(rt)
    expect(rt.outcome.restored).toBe(false)
    expect(rt.outcome.health).toEqual(expect.objectContaining({ rounds: 0 }))
    expect(rt.outcome.health?.healthy).toBeUndefined()
  })

  it('restores nothing, checks no app, when the run named never changed the server', async () => {
    const started = { status: 'completed', conclusion: 'success', started_at: AT }
    const github = await FakeGitHub.start({
      token: GITHUB_TOKEN,
      runs: [
        {
          id: 555,
          repository: 'acme/shop',
          status: 'completed',
          conclusion: 'failure',
          jobs: [
            {
              name: 'deploy',
              steps: [
                { name: 'Back up', ...started },
                { name: 'Deploy', status: 'completed', conclusion: 'skipped' }
              ]
            }
          ]
        }
      ]
    })
    try {
      const { rt, api } = setup(
        {
          mode: 'restore',
          backup_id: 'run:555',
          only_if_step_started: 'Deploy',
          github_token: GITHUB_TOKEN,
          health_url: `${APP}/health`
        },
        { apiUrl: github.url }
      )
      ;(rt.dispatcher as MockAgent).enableNetConnect(/^127\.0\.0\.1:/)
      api.addBackup({ id: 700, description: 'x [gha:acme/shop#555]' })
      await run(rt)
      expect(rt.outcome.status).toBe('skipped')
      expect(api.requests).toEqual([])
      expect(rt.outcome.restored).toBeUndefined()
      expect(rt.outcome.health).toBeUndefined()
    } finally {
      await github.close()
    }
  })
})

describe('runMode: restore, dry run', () => {
  it('plans and checks no app: nothing was restored', async () => {
    const { rt } = withBackup7({
      mode: 'restore',
      backup_id: '7',
      dry_run: 'true',
      health_url: `${APP}/health`
    })
    await run(rt)
    expect(rt.outcome.status).toBe('dry_run')
    expect(rt.outcome.health).toBeUndefined()
  })
})

describe('runMode: restore of run:<run_id>', () => {
  it('a run that made no backup of the server fails, restoring nothing', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: 'run:556' })
    const error = await rejection(run(rt))
    expect(error.message).toBe(
      'Run 556 made no completed backup of server 12345; no restore was requested.'
    )
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([])
  })
})

describe('runMode: delete', () => {
  it('deletes the backup named', async () => {
    const { rt } = withBackup7({ mode: 'delete', backup_id: '7' })
    await run(rt)
    expect(rt.outcome.deleted).toEqual([7])
  })

  it('deletes each server’s backup of a backup_ids object', async () => {
    const { rt, api } = setup({
      mode: 'delete',
      server_id: '101, 102',
      backup_id: '{"101": 7, "102": 8}'
    })
    api.addBackup({ id: 7, serverId: 101, description: 'x' })
    api.addBackup({ id: 8, serverId: 102, description: 'y' })
    await run(rt)
    expect(rt.outcome.servers?.get(101)?.deleted).toEqual([7])
    expect(rt.outcome.servers?.get(102)?.deleted).toEqual([8])
  })

  it('deletes the backup a run made (run:<run_id>), and nothing when it made none', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: 'run:555' })
    api.addBackup({ id: 700, serverId: 12345, description: 'x [gha:acme/shop#555]' })
    await run(rt)
    expect(rt.outcome.deleted).toEqual([700])
    const none = setup({ mode: 'delete', backup_id: 'run:556' })
    await run(none.rt)
    expect(none.rt.outcome.deleted).toEqual([])
    expect(none.rt.outcome.status).toBe('not_found')
  })
})

describe('runMode: verify', () => {
  it('checks the app alone: no request to VPS.org', async () => {
    const { rt, api } = setup({ mode: 'verify', server_id: '', health_url: `${APP}/health` })
    app(rt, 200)
    await run(rt)
    expect(rt.outcome.health?.healthy).toBe(true)
    expect(api.requests).toEqual([])
  })
})
