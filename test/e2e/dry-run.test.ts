import { describe, expect, it } from 'vitest'
import type { Simulator } from '../../simulator/server.js'
import { SERVER_ID, errorLine, fakeGitHub, simulator, step } from './fixture.js'

/*
 * dry_run: true, through dist/ against the simulator: resolved and checked as a real run is,
 * shown, and nothing changed: the simulator's request log holds no POST and no DELETE.
 */

/** Every request to the API that is not a read. */
const changes = (sim: Simulator) => sim.requests.filter((r) => r.method !== 'GET')

describe('dry_run: true', () => {
  it('restore: finds and checks the backup, says what a real run would do and discard, changes nothing', async () => {
    const sim = await simulator()
    const { id } = sim.addBackup({ serverId: SERVER_ID, createdAt: '2026-11-27T21:47:18Z' })
    const result = await step(sim, { mode: 'restore', backup_id: String(id), dry_run: 'true' })
    expect(result.exitCode).toBe(0)
    expect(sim.requests.length).toBeGreaterThan(0)
    expect(changes(sim)).toEqual([])
    expect(sim.restores).toEqual([])
    expect(sim.server(SERVER_ID).status).toBe('active')
    expect(result.outputs).toMatchObject({ backup_id: String(id), status: 'dry_run' })
    expect(result.log).toMatch(
      new RegExp(
        `Dry run: Restoring server ${SERVER_ID} to backup ${id}, created 2026-11-27T21:47:18Z \\(\\S+ ago\\): anything written to the server since then is lost\\.`
      )
    )
    expect(result.log).toContain(
      `Dry run: no restore was requested. A real run of this step (dry_run: false) would restore server ${SERVER_ID} from backup ${id}`
    )
    expect(result.summary).toContain('### Dry run: nothing was restored')
    expect(result.summary).toContain(`Restoring server ${SERVER_ID} to backup ${id}, created`)
    expect(result.summary).toContain(`    mode: restore\n    backup_id: ${id}\n`)
  })

  it('restore of several servers with latest: each one previewed, backup_ids set, nothing changed', async () => {
    const servers = [101, 102]
    const sim = await simulator({ servers: servers.map((id) => ({ id, name: `node-${id}` })) })
    const ours = 'Pre-deployment backup [gha:acme/shop#1111]'
    const ids = servers.map((serverId) => sim.addBackup({ serverId, description: ours }).id)
    const result = await step(sim, {
      server_id: '101, 102',
      mode: 'restore',
      backup_id: 'latest',
      dry_run: 'true'
    })
    expect(result.exitCode).toBe(0)
    expect(changes(sim)).toEqual([])
    expect(result.outputs).toMatchObject({
      backup_ids: `{"101":${ids[0]},"102":${ids[1]}}`,
      status: 'dry_run',
      statuses: '{"101":"dry_run","102":"dry_run"}'
    })
    expect(result.log.split('\n').filter((l) => l.includes('anything written'))).toHaveLength(2)
  })

  it('restore: fails exactly where a real run would, before any change (a failed backup)', async () => {
    const sim = await simulator()
    const { id } = sim.addBackup({ serverId: SERVER_ID, status: 'failed' })
    const dry = await step(sim, { mode: 'restore', backup_id: String(id), dry_run: 'true' })
    expect(dry.exitCode).toBe(1)
    expect(changes(sim)).toEqual([])
    const real = await step(sim, { mode: 'restore', backup_id: String(id) })
    expect(errorLine(dry)).toBe(errorLine(real))
    expect(errorLine(dry)).toContain('failed when it was made: it cannot be restored')
  })

  it('restore of run:<run_id> with only_if_step_started: reads GitHub, refuses a run in progress as a real run does', async () => {
    const sim = await simulator()
    const token = 'ghs_DryRunToken22222222222222222222222'
    const fake = await fakeGitHub({
      token,
      runs: [
        { id: 555, repository: 'acme/shop', status: 'in_progress', conclusion: null, jobs: [] }
      ]
    })
    const result = await step(
      sim,
      {
        mode: 'restore',
        backup_id: 'run:555',
        only_if_step_started: 'Deploy',
        github_token: token,
        dry_run: 'true'
      },
      { env: { GITHUB_API_URL: fake.url } }
    )
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(/^Run 555 is in_progress, not completed/)
    expect(changes(sim)).toEqual([])
  })

  it('delete: says which backup would be deleted and sends no DELETE', async () => {
    const sim = await simulator()
    const { id } = sim.addBackup({ serverId: SERVER_ID })
    const result = await step(sim, { mode: 'delete', backup_id: String(id), dry_run: 'true' })
    expect(result.exitCode).toBe(0)
    expect(changes(sim)).toEqual([])
    expect(sim.backups({ serverId: SERVER_ID }).map((b) => b.id)).toContain(id)
    expect(result.outputs).toMatchObject({ backup_id: String(id), status: 'dry_run' })
    expect(result.log).toContain(
      `Dry run: nothing was deleted. A real run of this step (dry_run: false) would delete backup ${id} of server ${SERVER_ID}`
    )
    expect(result.summary).toContain('### Dry run: nothing was deleted')
  })

  it.each(['backup', 'verify'])('mode: %s: an input error before any request', async (mode) => {
    const sim = await simulator({ app: {} })
    const result = await step(sim, {
      mode,
      dry_run: 'true',
      health_url: mode === 'verify' ? sim.app(SERVER_ID).healthUrl : ''
    })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(/^Input 'dry_run' is only for mode: restore and mode: delete/)
    expect(sim.requests).toEqual([])
    expect(sim.app(SERVER_ID).requests).toEqual([])
  })
})
