import { describe, expect, it } from 'vitest'
import type { Simulator } from '../../simulator/server.js'
import { SERVER_ID, errorLine, restorePosts, simulator, step } from './fixture.js'

const OTHER_SERVER = 67890
const TWO_SERVERS = [
  { id: SERVER_ID, name: 'web-server-01' },
  { id: OTHER_SERVER, name: 'db-server-02' }
]
const RESTORE_PATH = `/api/v1/servers/${SERVER_ID}/restore/`
/**
 * Long enough for the first status poll (about 1 s into the step) to see the server `restoring`,
 * and for the restore to end more than a second after the server's previous `updated_at`.
 */
const VISIBLE_RESTORE_MS = 1500

describe('mode: restore, run as the runner runs dist/index.js', () => {
  it.each([
    ['restore', {}],
    ['rollback', { poll_interval: '1' }]
  ])(
    'mode: %s restores exactly the backup the backup step output, and returns once the server is active',
    async (mode, extra: Record<string, string>) => {
      const sim = await simulator({ restoreDurationMs: VISIBLE_RESTORE_MS })
      const backup = await step(sim)
      expect(backup.exitCode).toBe(0)
      const id = Number(backup.outputs.backup_id)
      const description = sim.backups()[0]!.description

      const result = await step(sim, { mode, backup_id: backup.outputs.backup_id!, ...extra })
      // Read before anything else can happen: the step must not return while restoring.
      const statusOnReturn = sim.server(SERVER_ID).status
      expect(result.exitCode).toBe(0)
      expect(statusOnReturn).toBe('active')
      expect(sim.restores).toEqual([expect.objectContaining({ serverId: SERVER_ID, backupId: id })])
      const post = sim.requests.filter((r) => r.method === 'POST' && r.path === RESTORE_PATH)
      expect(post.map((r) => r.body)).toEqual([{ backup_id: id }])
      // The step saw the server restoring (a status poll while the restore ran), then active.
      const restore = sim.restores[0]!
      const polls = sim.requests.filter(
        (r) => r.method === 'GET' && r.path === `/api/v1/servers/${SERVER_ID}/` && r.at > restore.at
      )
      const end = restore.at + restore.durationMs
      expect(polls.some((r) => r.at < end)).toBe(true)
      expect(polls.at(-1)!.at).toBeGreaterThanOrEqual(end)
      expect(result.log).toMatch(
        new RegExp(`Server ${SERVER_ID}: restoring[^]*Server ${SERVER_ID} is active again`)
      )
      expect(result.outputs).toMatchObject({
        backup_id: String(id),
        status: 'active',
        created_at: backup.outputs.created_at,
        server_name: 'web-server-01'
      })
      const summary = decodeHtml(result.summary)
      expect(summary).toContain(`<td>${id}</td>`)
      expect(summary).toContain(`<td>${backup.outputs.created_at}</td>`)
      expect(summary).toContain(`<td>${description}</td>`)
      expect(summary).toMatch(/Took<\/th><td>\d+(\.\d)?s<\/td>/)
      expect(summary).toContain('✅')
      expect(result.log).not.toContain('::error::')
    }
  )

  describe('refuses, sending no restore request', () => {
    /** Runs a restore of `backupId` and checks it fails, naming it, with no restore request. */
    async function refused(sim: Simulator, backupId: number): Promise<string> {
      const result = await step(sim, { mode: 'restore', backup_id: String(backupId) })
      expect(result.exitCode).toBe(1)
      const line = errorLine(result)
      expect(line).toContain(`Backup ${backupId}`)
      expect(line).toContain('no restore was requested')
      expect(sim.countRequests('POST', /restore/)).toBe(0)
      expect(sim.restores).toEqual([])
      return line
    }

    it('a backup of another server, even by its exact id: never restores across servers', async () => {
      const sim = await simulator({ servers: TWO_SERVERS })
      sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-10T10:00:00Z', description: 'ours' })
      const foreign = sim.addBackup({
        serverId: OTHER_SERVER,
        createdAt: '2025-01-14T10:30:00Z',
        description: 'db before update'
      })
      expect(await refused(sim, foreign.id)).toContain(`server ${SERVER_ID}`)
      expect(sim.server(OTHER_SERVER).status).toBe('active')
    })

    it('a backup id that does not exist', async () => {
      const sim = await simulator()
      sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-10T10:00:00Z' })
      await refused(sim, 999999)
    })

    it('a backup that failed when it was made', async () => {
      const sim = await simulator()
      const failed = sim.addBackup({
        serverId: SERVER_ID,
        status: 'failed',
        createdAt: '2025-01-14T10:30:00Z'
      })
      expect(await refused(sim, failed.id)).toContain('failed when it was made')
    })

    it('a backup of another server that an API ignoring the server_id filter lists', async () => {
      const sim = await simulator({ servers: TWO_SERVERS })
      sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-10T10:00:00Z' })
      const foreign = sim.addBackup({ serverId: OTHER_SERVER, createdAt: '2025-01-14T10:30:00Z' })
      await listEveryServersBackups(sim)
      await refused(sim, foreign.id)
      expect(sim.countRequests('GET', '/api/v1/backups/')).toBeGreaterThan(0)
    })
  })

  it('waits for an in_progress backup to complete, then restores from it', async () => {
    const sim = await simulator({ restoreDurationMs: VISIBLE_RESTORE_MS })
    const running = sim.addBackup({
      serverId: SERVER_ID,
      status: 'in_progress',
      durationMs: 60_000
    })
    // It completes (on the simulator's clock) once the step has seen it in_progress, however long
    // the step took to start.
    let log = ''
    const result = await step(
      sim,
      { mode: 'restore', backup_id: String(running.id) },
      {
        onLog: (chunk) => {
          log += chunk
          const record = sim.backup(running.id)
          if (log.includes(`Backup ${running.id}: in_progress`) && record.durationMs === 60_000) {
            record.durationMs = Date.now() - record.createdAt
          }
        }
      }
    )
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain(`Backup ${running.id}: in_progress`)
    const completed = sim.events.find((e) => e.type === 'backup-completed' && e.id === running.id)
    const post = sim.requests.filter((r) => r.method === 'POST' && r.path === RESTORE_PATH)
    // One request, sent after the backup completed: it never tried (and got a 409) before.
    expect(post).toHaveLength(1)
    expect(post[0]!.status).toBe(202)
    expect(post[0]!.at).toBeGreaterThanOrEqual(completed!.at)
    expect(sim.restores).toEqual([expect.objectContaining({ backupId: running.id })])
    expect(sim.server(SERVER_ID).status).toBe('active')
    expect(result.outputs).toMatchObject({ backup_id: String(running.id), status: 'active' })
  })

  it("fails when the restore ends with the server in 'error', saying so", async () => {
    const sim = await simulator()
    const backup = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-14T10:30:00Z' })
    sim.nextRestoreOutcomes.push('error')
    const result = await step(sim, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(1)
    const line = errorLine(result)
    expect(line).toContain(`Server ${SERVER_ID} is 'error'`)
    expect(line).toContain(`backup ${backup.id}`)
    expect(restorePosts(sim)).toBe(1)
    expect(sim.server(SERVER_ID).status).toBe('error')
    expect(result.outputs).toMatchObject({ backup_id: String(backup.id), status: 'error' })
    expect(result.summary).toContain('❌')
  })

  describe('backup_id: latest', () => {
    it('chooses the newest completed backup of this server among unsorted, mixed, failed, running and other-server ones', async () => {
      // Backup 903 runs until the API refuses the step's restore as busy (409), then ends a second
      // later: running when the step looks, however slow the machine, and then out of the way.
      let running: ReturnType<Simulator['addBackup']> | undefined
      const sim = await simulator({
        servers: TWO_SERVERS,
        shuffle: true,
        seed: 7,
        restoreDurationMs: VISIBLE_RESTORE_MS,
        log: (line) => {
          if (running && line === `POST ${RESTORE_PATH} -> 409`) {
            running.durationMs = Date.now() - running.createdAt + 1000
            running = undefined
          }
        }
      })
      const seed = (
        id: number,
        createdAt: string,
        extra: Partial<Parameters<Simulator['addBackup']>[0]> = {}
      ) =>
        sim.addBackup({
          id,
          serverId: SERVER_ID,
          createdAt,
          description: `b${id} [gha:acme/shop#1111]`,
          ...extra
        })
      // Ids deliberately do not follow creation time: the highest id is not the newest.
      seed(900, '2025-01-12T10:00:00Z')
      // Newer than the one to restore, but not this action's for this repository: an automatic
      // daily backup taken after a bad deploy, and another repository's step.
      seed(901, '2025-01-14T23:00:00Z', { backupType: 'automatic', description: 'Daily' })
      seed(904, '2025-01-14T22:00:00Z', { description: 'b904 [gha:acme/other#1111]' })
      seed(905, '2025-01-14T21:00:00Z', { description: 'by hand' })
      const newest = seed(610, '2025-01-14T10:30:00Z')
      seed(902, '2025-01-13T03:00:00Z', { backupType: 'automatic' })
      seed(611, '2025-01-15T09:00:00Z', { status: 'failed' })
      seed(612, '2025-01-15T03:00:00Z', { status: 'failed', backupType: 'automatic' })
      // Running when the step looks, so skipped (while it runs, the API answers a restore with
      // 409 busy, which the step waits out).
      running = seed(903, new Date().toISOString(), { status: 'in_progress', durationMs: 600_000 })
      sim.addBackup({ id: 950, serverId: OTHER_SERVER, createdAt: '2025-01-16T00:00:00Z' })
      // Precondition: the API's list is not sorted newest first.
      const listed = await listBackups(sim)
      expect(listed.find((b) => b.status === 'completed')?.id).not.toBe(newest.id)

      const result = await step(sim, { mode: 'restore', backup_id: 'latest' })
      expect(result.exitCode).toBe(0)
      expect(sim.restores).toEqual([expect.objectContaining({ backupId: newest.id })])
      const posts = sim.requests.filter((r) => r.method === 'POST' && r.path === RESTORE_PATH)
      expect(posts.filter((r) => r.status === 202).map((r) => r.body)).toEqual([
        { backup_id: newest.id }
      ])
      expect(running).toBeUndefined() // refused busy once, then waited out
      expect(result.outputs).toMatchObject({
        backup_id: String(newest.id),
        status: 'active',
        created_at: '2025-01-14T10:30:00Z'
      })
      expect(sim.server(SERVER_ID).status).toBe('active')
      expect(sim.server(OTHER_SERVER).status).toBe('active')
    })

    it('skips a newer backup of another server even when the API ignores the server_id filter', async () => {
      const sim = await simulator({ servers: TWO_SERVERS, restoreDurationMs: VISIBLE_RESTORE_MS })
      const ours = sim.addBackup({
        serverId: SERVER_ID,
        createdAt: '2025-01-10T10:00:00Z',
        description: 'b [gha:acme/shop#1111]'
      })
      sim.addBackup({
        serverId: OTHER_SERVER,
        createdAt: '2025-01-16T00:00:00Z',
        description: 'b [gha:acme/shop#1111]'
      })
      await listEveryServersBackups(sim)
      const result = await step(sim, { mode: 'restore', backup_id: 'latest' })
      expect(result.exitCode).toBe(0)
      expect(sim.restores).toEqual([
        expect.objectContaining({ serverId: SERVER_ID, backupId: ours.id })
      ])
      expect(result.outputs.backup_id).toBe(String(ours.id))
    })

    it('fails with no restore request when the server has no completed backup of this action', async () => {
      const sim = await simulator({ servers: TWO_SERVERS })
      sim.addBackup({ serverId: SERVER_ID, status: 'failed', createdAt: '2025-01-14T10:30:00Z' })
      sim.addBackup({ serverId: SERVER_ID, backupType: 'automatic', description: 'Daily' })
      sim.addBackup({ serverId: SERVER_ID, status: 'in_progress', durationMs: 60_000 })
      sim.addBackup({ serverId: OTHER_SERVER, createdAt: '2025-01-14T10:00:00Z' })
      const result = await step(sim, { mode: 'restore', backup_id: 'latest' })
      expect(result.exitCode).toBe(1)
      const line = errorLine(result)
      expect(line).toContain(
        `Server ${SERVER_ID} has no completed backup made by this action for acme/shop (backup_id: latest restores only those`
      )
      expect(sim.countRequests('POST', /restore/)).toBe(0)
      expect(sim.restores).toEqual([])
    })
  })

  describe('a busy server (409) is waited out', () => {
    it('when another restore is already running, waits for it to end, then restores once', async () => {
      const sim = await simulator({ restoreDurationMs: 2500 })
      const earlier = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-10T10:00:00Z' })
      const wanted = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-14T10:30:00Z' })
      const started = await fetch(`${sim.url}/servers/${SERVER_ID}/restore/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ backup_id: earlier.id })
      })
      expect(started.status).toBe(202)
      const before = sim.requests.length

      const result = await step(sim, {
        mode: 'restore',
        backup_id: String(wanted.id),
        poll_interval: '1'
      })
      expect(result.exitCode).toBe(0)
      expect(result.log).toContain('already restoring')
      const ours = sim.requests
        .slice(before)
        .filter((r) => r.method === 'POST' && r.path === RESTORE_PATH)
      expect(ours.map((r) => [r.status, r.body])).toEqual([[202, { backup_id: wanted.id }]])
      const firstEnded = sim.events.find((e) => e.type === 'restore-finished')!
      expect(ours[0]!.at).toBeGreaterThanOrEqual(firstEnded.at)
      expect(sim.restores.map((r) => r.backupId)).toEqual([earlier.id, wanted.id])
      expect(sim.server(SERVER_ID).status).toBe('active')
      expect(result.outputs).toMatchObject({ backup_id: String(wanted.id), status: 'active' })
    })

    it('when the restore request answers 409 busy once, retries it and restores once', async () => {
      const sim = await simulator({ restoreDurationMs: VISIBLE_RESTORE_MS })
      const backup = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-14T10:30:00Z' })
      sim.inject({
        method: 'POST',
        path: RESTORE_PATH,
        times: 1,
        fault: { kind: 'status', status: 409, body: '{"detail":"Server is busy"}' }
      })
      const result = await step(sim, { mode: 'restore', backup_id: String(backup.id) })
      expect(result.exitCode).toBe(0)
      expect(result.log).toContain('Server is busy')
      const posts = sim.requests.filter((r) => r.method === 'POST' && r.path === RESTORE_PATH)
      expect(posts.map((r) => r.status)).toEqual([409, 202])
      expect(sim.restores).toEqual([expect.objectContaining({ backupId: backup.id })])
      expect(sim.server(SERVER_ID).status).toBe('active')
      expect(result.outputs.status).toBe('active')
    })
  })

  it('accepts a restore that answers 200, already finished', async () => {
    const sim = await simulator({ restoreResponse: 'sync' })
    const backup = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-14T10:30:00Z' })
    const result = await step(sim, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(0)
    expect(sim.restores).toEqual([expect.objectContaining({ backupId: backup.id })])
    expect(restorePosts(sim)).toBe(1)
    expect(result.outputs).toMatchObject({ backup_id: String(backup.id), status: 'active' })
    // Finished at once: nothing left to wait for.
    const post = sim.requests.findIndex((r) => r.path === RESTORE_PATH)
    expect(sim.requests.slice(post + 1)).toEqual([])
  })

  it('with wait: false returns at once with status restoring', async () => {
    const sim = await simulator({ restoreDurationMs: 60_000 })
    const backup = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-14T10:30:00Z' })
    const result = await step(sim, {
      mode: 'restore',
      backup_id: String(backup.id),
      wait: 'false'
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ backup_id: String(backup.id), status: 'restoring' })
    expect(sim.server(SERVER_ID).status).toBe('restoring')
    expect(restorePosts(sim)).toBe(1)
    expect(result.durationMs).toBeLessThan(3000)
  })

  it('times out after `timeout`, naming the last status restoring', async () => {
    const sim = await simulator({ restoreDurationMs: 60_000 })
    const backup = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-14T10:30:00Z' })
    const result = await step(sim, {
      mode: 'restore',
      backup_id: String(backup.id),
      timeout: '2s'
    })
    expect(result.exitCode).toBe(1)
    const line = errorLine(result)
    expect(line).toContain('Timed out after 2s')
    expect(line).toContain(`server ${SERVER_ID}`)
    expect(line).toContain("last status was 'restoring'")
    expect(restorePosts(sim)).toBe(1)
    expect(result.outputs.backup_id).toBe(String(backup.id))
    expect(result.durationMs).toBeLessThan(6000)
  })

  it('recognises a restore that ended before the first status poll, in the same second as the last server update', async () => {
    // The simulator's clock stands on a whole second until the step reads the server before its
    // restore request, then runs: the server's `updated_at` before the restore and after it (the
    // restore takes 100 ms) read the same second, however long the step took to start, and only
    // `active` is seen.
    const origin = Date.parse('2025-06-01T12:00:00Z')
    let t0: number | undefined
    const sim = await simulator({
      restoreDurationMs: 100,
      now: () => origin + (t0 === undefined ? 0 : Date.now() - t0),
      log: (line) => {
        if (line.startsWith(`GET /api/v1/servers/${SERVER_ID}/ `)) t0 ??= Date.now()
      }
    })
    const backup = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-06-01T11:00:00Z' })
    const result = await step(sim, {
      mode: 'restore',
      backup_id: String(backup.id),
      timeout: '3s'
    })
    expect(sim.restores).toEqual([expect.objectContaining({ backupId: backup.id })])
    expect(sim.restores[0]!.at - origin).toBeLessThan(900)
    expect(sim.server(SERVER_ID).status).toBe('active')
    expect(result.log).not.toContain('::error::')
    expect(result.exitCode).toBe(0)
    expect(result.outputs.status).toBe('active')
  })

  it('honours a timeout of a minute (each request gets its share of the time left)', async () => {
    const sim = await simulator({ restoreDurationMs: VISIBLE_RESTORE_MS })
    const backup = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-14T10:30:00Z' })
    const result = await step(sim, {
      mode: 'restore',
      backup_id: String(backup.id),
      timeout: '1m'
    })
    expect(result.log).not.toContain('::error::')
    expect(result.exitCode).toBe(0)
    expect(sim.restores).toEqual([expect.objectContaining({ backupId: backup.id })])
    expect(result.outputs.status).toBe('active')
  })
})

interface ListedBackup {
  id: number
  status: string
  server: { id: number }
}

/** GET /backups/?server_id= as a client sees it (recorded by the simulator like any request). */
async function listBackups(sim: Simulator): Promise<ListedBackup[]> {
  const response = await fetch(`${sim.url}/backups/?server_id=${SERVER_ID}`, {
    headers: { authorization: `Bearer ${sim.token}` }
  })
  return ((await response.json()) as { results: ListedBackup[] }).results
}

/**
 * Makes every GET /backups/ answer with the backups of all servers, whatever the filter: an API
 * (or a proxy's cache) that ignores `server_id`. The bodies are the simulator's own.
 */
async function listEveryServersBackups(sim: Simulator): Promise<void> {
  const state = (await (await fetch(`${sim.origin}/__simulator__/state`)).json()) as {
    backups: Array<ListedBackup & { deleted: boolean }>
  }
  const results = state.backups.filter((b) => !b.deleted).map(({ deleted: _, ...b }) => b)
  sim.inject({
    method: 'GET',
    path: '/api/v1/backups/',
    times: Infinity,
    fault: {
      kind: 'status',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: results.length, next: null, previous: null, results })
    }
  })
}

/** The summary's text with the HTML character references it uses decoded. */
function decodeHtml(html: string): string {
  return html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
}
