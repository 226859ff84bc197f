import { describe, expect, it } from 'vitest'
import type { Simulator } from '../../simulator/server.js'
import { errorLine, simulator, step } from './fixture.js'

/** Three servers: two web nodes and a database, as one deploy touches them. */
const FLEET = [101, 102, 103]
/** A description as this action writes it for acme/shop (backup_id: latest takes only those). */
const OURS = 'Pre-deployment backup [gha:acme/shop#1111]'
const SERVERS = [
  { id: 101, name: 'web-1' },
  { id: 102, name: 'web-2' },
  { id: 103, name: 'db-1' }
]
const ALL = { server_id: '101, 102, 103' }

const restoresOf = (sim: Simulator): number[] =>
  sim.requests
    .filter((r) => r.method === 'POST' && r.path.endsWith('/restore/'))
    .map((r) => Number(/servers\/(\d+)\//.exec(r.path)![1]))
    .sort()

const ids = (json: string | undefined): Record<string, number> =>
  JSON.parse(json ?? '{}') as Record<string, number>

describe('a step of several servers, through dist/', () => {
  it('backs up 3 servers, then restores all of them from backup_ids', async () => {
    const sim = await simulator({ servers: SERVERS })
    const backup = await step(sim, ALL)
    expect(backup.exitCode).toBe(0)
    const made = ids(backup.outputs.backup_ids)
    expect(Object.keys(made)).toEqual(FLEET.map(String))
    expect(backup.outputs.backup_id).toBeUndefined()
    expect(backup.outputs.status).toBe('completed')
    expect(ids(backup.outputs.statuses)).toEqual({
      101: 'completed',
      102: 'completed',
      103: 'completed'
    })
    for (const server of FLEET) {
      expect(sim.backups({ serverId: server }).map((b) => b.id)).toEqual([made[server]])
    }
    expect(backup.summary).toContain('<td>web-2 (102)</td>')

    const restore = await step(sim, {
      ...ALL,
      mode: 'restore',
      backup_id: backup.outputs.backup_ids!
    })
    expect(restore.exitCode).toBe(0)
    expect(restoresOf(sim)).toEqual(FLEET)
    expect(ids(restore.outputs.statuses)).toEqual({ 101: 'active', 102: 'active', 103: 'active' })
    expect(restore.outputs.backup_ids).toBe(backup.outputs.backup_ids)
    for (const server of FLEET) expect(sim.server(server).status).toBe('active')
  })

  it('fails when one backup fails, naming it, and keeps and reports the others', async () => {
    const sim = await simulator({
      servers: [SERVERS[0]!, { ...SERVERS[1]!, failNextBackup: true }, SERVERS[2]!]
    })
    const result = await step(sim, { ...ALL, rollback_on_failure: 'true' })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(
      /^1 of 3 servers failed\. Server 102: Backup \d+ of server 102 failed/
    )
    const made = ids(result.outputs.backup_ids)
    expect(Object.keys(made)).toEqual(FLEET.map(String))
    expect(ids(result.outputs.statuses)).toEqual({
      101: 'completed',
      102: 'failed',
      103: 'completed'
    })
    expect(result.outputs.status).toBe('failed')
    // Kept, said so, and no rollback saved for half a fleet.
    expect(sim.backups().filter((b) => b.status === 'completed')).toHaveLength(2)
    expect(result.summary).toContain('are valid restore points and are kept')
    expect(result.summary).toContain(`backup_id: '{"101":${made[101]},"103":${made[103]}}'`)
    expect(result.state.rollback_backup_ids).toBeUndefined()
  })

  it('refuses a backup_ids object that does not name exactly the servers, before any request', async () => {
    const sim = await simulator({ servers: SERVERS })
    const result = await step(sim, {
      server_id: '101, 102',
      mode: 'restore',
      backup_id: '{"101":1,"103":3}'
    })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(/^Input 'backup_id'/)
    expect(errorLine(result)).toContain('102')
    expect(errorLine(result)).toContain('103')
    expect(sim.requests).toEqual([])
  })

  it('restores each server from its own newest completed backup with latest', async () => {
    const sim = await simulator({ servers: SERVERS })
    const old = FLEET.map(
      (serverId) =>
        sim.addBackup({ serverId, createdAt: '2025-01-09T10:00:00Z', description: OURS }).id
    )
    const newest = FLEET.map((serverId) => sim.addBackup({ serverId, description: OURS }).id)
    const result = await step(sim, { ...ALL, mode: 'restore', backup_id: 'latest' })
    expect(result.exitCode).toBe(0)
    expect(Object.values(ids(result.outputs.backup_ids))).toEqual(newest)
    expect(Object.values(ids(result.outputs.backup_ids))).not.toContain(old[0])
    expect(restoresOf(sim)).toEqual(FLEET)
  })

  it('rolls back all 3 servers in the post step after a failed job', async () => {
    const sim = await simulator({ servers: SERVERS })
    const inputs = { ...ALL, rollback_on_failure: 'true' }
    const main = await step(sim, inputs)
    expect(main.exitCode).toBe(0)
    expect(ids(main.state.rollback_backup_ids)).toEqual(ids(main.outputs.backup_ids))
    const post = await step(sim, inputs, { post: { state: main.state } })
    expect(post.exitCode).toBe(0)
    expect(restoresOf(sim)).toEqual(FLEET)
    expect(post.log).toMatch(
      /automatic rollback \(rollback_on_failure\) restores server 101 from backup \d+, server 102 from backup \d+, server 103 from backup \d+/
    )
    for (const server of FLEET) expect(sim.server(server).status).toBe('active')
  })

  it('refuses the cap on one server only, and still makes and keeps the others', async () => {
    const sim = await simulator({ servers: SERVERS })
    for (let i = 0; i < 10; i++) sim.addBackup({ serverId: 102, description: `manual ${i}` })
    const result = await step(sim, ALL)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(
      /^1 of 3 servers failed\. Server 102: Server 102 already has 10 manual backups/
    )
    expect(Object.keys(ids(result.outputs.backup_ids))).toEqual(['101', '103'])
    expect(sim.backups({ serverId: 102 })).toHaveLength(10)
  })

  it('pauses every server’s requests when one gets a 429 with Retry-After', async () => {
    // Restores that outlast the pause, so that each is seen under way after it.
    const sim = await simulator({ servers: SERVERS, restoreDurationMs: 6000 })
    for (const serverId of FLEET) sim.addBackup({ serverId, description: OURS })
    // The restores run at once, each following its own server; one read of server 102 is throttled.
    sim.inject({
      method: 'GET',
      path: '/api/v1/servers/102/',
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '3' } }
    })
    const result = await step(sim, { ...ALL, mode: 'restore', backup_id: 'latest' })
    expect(result.exitCode).toBe(0)
    const throttled = sim.requests.find((r) => r.status === 429)!
    // Requests already on their way when the 429 came back may arrive just after it; then nothing
    // is sent for the 3 s the API asked for (without the gate the other servers go on at once).
    const early = sim.requests.filter(
      (r) => r.at > throttled.at + 200 && r.at < throttled.at + 2900
    )
    expect(early).toEqual([])
    expect(restoresOf(sim)).toEqual(FLEET)
  })

  it('names each pending server when cancelled in the middle', async () => {
    const sim = await simulator({ servers: SERVERS, backupDurationMs: 60_000 })
    const result = await step(sim, ALL, { signals: [{ afterMs: 2500, signal: 'SIGINT' }] })
    expect(result.exitCode).toBe(1)
    const line = errorLine(result)
    expect(line).toMatch(/^The workflow was cancelled\. /)
    for (const server of FLEET)
      expect(line).toMatch(new RegExp(`Backup \\d+ of server ${server} is still being created`))
  })

  it('follows 2 servers in an account of 300 other backups with few requests', async () => {
    const sim = await simulator({
      servers: SERVERS.slice(0, 2),
      pageSize: 10,
      accountBackups: 300,
      backupDurationMs: 3000
    })
    const result = await step(sim, { server_id: '101, 102' })
    expect(result.exitCode).toBe(0)
    const lastPost = sim.requests.findLastIndex((r) => r.method === 'POST')
    const looks = sim.requests
      .slice(lastPost + 1)
      .filter((r) => r.method === 'GET' && r.path === '/api/v1/backups/')
    const own = looks.filter((r) => r.query.server_id === '101').length
    // The account's first page says it takes 31: then each server's own list, one a look each.
    expect(looks.filter((r) => r.query.server_id === undefined)).toHaveLength(1)
    expect(looks.length).toBeLessThanOrEqual(2 * own + 1)
  })

  it('follows a backup on when page drift moves it off the pages read, and succeeds', async () => {
    const sim = await simulator({
      servers: SERVERS.slice(0, 2),
      pageSize: 5,
      accountBackups: 8,
      pageDrift: true,
      backupDurationMs: 3000
    })
    const result = await step(sim, { server_id: '101, 102' })
    expect(result.exitCode).toBe(0)
    // The drift did hide one of them from a look.
    expect(result.log).toMatch(/Backup \d+ is missing from the list: looking again/)
    expect(ids(result.outputs.statuses)).toEqual({ 101: 'completed', 102: 'completed' })
  })

  it('backs up a fleet, and deletes a backup already gone, when the account’s list is over 4 MiB', async () => {
    const sim = await simulator({ servers: SERVERS.slice(0, 2), accountBackups: 12_000 })
    const backup = await step(sim, { server_id: '101, 102' })
    expect(backup.exitCode).toBe(0)
    expect(backup.log).toContain("The account's list of backups takes more than 2 requests")
    const gone = await step(sim, {
      server_id: '101, 102',
      mode: 'delete',
      backup_id: '{"101":7,"102":8}'
    })
    expect(gone.exitCode).toBe(0)
    expect(gone.log).toContain(
      "Backup 7 is not among server 101's backups: it is already gone, or another server's"
    )
    expect(ids(gone.outputs.statuses)).toEqual({ 101: 'not_found', 102: 'not_found' })
  })

  it('names a refused create and the others’ timeouts in the error line, the log and the summary', async () => {
    const sim = await simulator({ servers: SERVERS, backupDurationMs: 60_000 })
    sim.inject({
      method: 'POST',
      serverId: 101,
      fault: { kind: 'status', status: 400, body: '{"detail": "Server 101 is being migrated."}' }
    })
    const result = await step(sim, { ...ALL, timeout: '3s' })
    expect(result.exitCode).toBe(1)
    const line = errorLine(result)
    expect(line).toMatch(
      /^3 of 3 servers failed\. Server 101: Could not create a backup of server 101: HTTP 400: Server 101 is being migrated; server 102: Timed out after 3s waiting for backup \d+ of server 102 to complete; its last status was 'in_progress'; server 103: Timed out/
    )
    expect(
      result.log.split('\n').filter((l) => l.includes('Server 101 is being migrated')).length
    ).toBeGreaterThan(0)
    expect(result.summary).toContain('Server 101 is being migrated')
    expect(result.summary).toMatch(
      /server 102: Timed out after 3s waiting for backup \d+ of server 102/
    )
  })
})
