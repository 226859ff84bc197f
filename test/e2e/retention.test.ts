import { describe, expect, it } from 'vitest'
import type { Simulator } from '../../simulator/server.js'
import { SERVER_ID, backupPosts, errorLine, simulator, step } from './fixture.js'

const OTHER_SERVER = 67890
const TWO_SERVERS = [
  { id: SERVER_ID, name: 'web-server-01' },
  { id: OTHER_SERVER, name: 'db-server-02' }
]
/** The local runner's GITHUB_RUN_ID. */
const RUN_ID = '9876543210'

/** A description as this action writes it for `repository` in run `runId`. */
const tagged = (repository: string, runId: string | number): string =>
  `Pre-deployment backup of ${repository}@3f78685 (run ${runId}, attempt 1) [gha:${repository}#${runId}]`

/** sha256('deploy/backup'): the step key of the local runner's GITHUB_JOB and GITHUB_ACTION. */
const STEP = 'd45f646c'
/** A description as attempt `attempt` of step `step` of this run wrote it. */
const taggedStep = (attempt: number, step = STEP, nonce = 'aaaaaaa1'): string =>
  `Pre-deployment backup of acme/shop@3f78685 (run ${RUN_ID}, attempt ${attempt}) [gha:acme/shop#${RUN_ID}/${attempt}/${step}/${nonce}]`

type Seed = Parameters<Simulator['addBackup']>[0]

function seed(sim: Simulator, id: number, createdAt: string, rest: Partial<Seed> = {}) {
  return sim.addBackup({ id, serverId: SERVER_ID, createdAt, ...rest })
}

const deletes = (sim: Simulator) => sim.requests.filter((r) => r.method === 'DELETE')
const deletedIds = (sim: Simulator) =>
  deletes(sim).map((r) => Number(/\/backups\/(\d+)\/$/.exec(r.path)![1]))
const liveIds = (sim: Simulator, serverId = SERVER_ID) =>
  sim
    .backups({ serverId })
    .map((b) => b.id)
    .sort((a, b) => a - b)
const warnings = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning::'))

describe('mode: delete', () => {
  it('deletes a backup of the server (204), and deleting it again succeeds with a warning', async () => {
    const sim = await simulator()
    const keep = seed(sim, 600, '2025-01-10T10:00:00Z')
    const doomed = seed(sim, 601, '2025-01-14T10:30:00Z', { description: 'old release' })

    const first = await step(sim, { mode: 'delete', backup_id: String(doomed.id) })
    expect(first.exitCode).toBe(0)
    expect(first.outputs).toMatchObject({ backup_id: String(doomed.id), status: 'deleted' })
    expect(deletes(sim).map((r) => [r.path, r.status])).toEqual([
      [`/api/v1/backups/${doomed.id}/`, 204]
    ])
    expect(liveIds(sim)).toEqual([keep.id])
    expect(warnings(first.log)).toEqual([])

    const again = await step(sim, { mode: 'delete', backup_id: String(doomed.id) })
    expect(again.exitCode).toBe(0)
    expect(again.log).not.toContain('::error::')
    expect(warnings(again.log)).toHaveLength(1)
    expect(warnings(again.log)[0]).toContain(String(doomed.id))
    expect(again.outputs.status).toBe('not_found')
    expect(liveIds(sim)).toEqual([keep.id])
  })

  it('treats a 404 from DELETE (gone in the meantime) as already deleted: a warning, not a failure', async () => {
    const sim = await simulator()
    const backup = seed(sim, 600, '2025-01-14T10:30:00Z')
    sim.inject({
      method: 'DELETE',
      path: `/api/v1/backups/${backup.id}/`,
      fault: { kind: 'status', status: 404, body: '{"detail":"Not found."}' }
    })
    const result = await step(sim, { mode: 'delete', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(0)
    expect(warnings(result.log)).toHaveLength(1)
    expect(result.outputs.status).toBe('not_found')
  })

  it("never deletes another server's backup: nothing is deleted, the step fails saying whose it is", async () => {
    const sim = await simulator({ servers: TWO_SERVERS })
    seed(sim, 600, '2025-01-10T10:00:00Z')
    const foreign = sim.addBackup({
      id: 700,
      serverId: OTHER_SERVER,
      createdAt: '2025-01-14T10:30:00Z'
    })
    const result = await step(sim, { mode: 'delete', backup_id: String(foreign.id) })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain(
      `Backup ${foreign.id} belongs to server ${OTHER_SERVER}, not to server ${SERVER_ID}`
    )
    expect(sim.backups({ serverId: OTHER_SERVER }).map((b) => b.id)).toEqual([foreign.id])
    expect(sim.countRequests('DELETE', `/api/v1/backups/${foreign.id}/`)).toBe(0)
    expect(deletes(sim)).toEqual([])
  })

  it('requires backup_id, before any request', async () => {
    const sim = await simulator()
    const result = await step(sim, { mode: 'delete' })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain("Input 'backup_id' is required")
    expect(sim.requests).toEqual([])
  })
})

describe('keep_backups: prunes only this repository’s own older backups', () => {
  it('keeps the new backup and the newest older one of ours; never touches foreign, untagged or automatic ones', async () => {
    const sim = await simulator()
    // Ours, for acme/shop: ids deliberately in reverse order of creation.
    const ourOldest = seed(sim, 730, '2025-01-10T10:00:00Z', {
      description: tagged('acme/shop', 1)
    })
    const ourMiddle = seed(sim, 720, '2025-01-11T10:00:00Z', {
      description: tagged('acme/shop', 2)
    })
    const ourNewest = seed(sim, 710, '2025-01-12T10:00:00Z', {
      description: tagged('acme/shop', 3)
    })
    // Not ours: older than ours, so pruning by age alone would pick them first.
    const foreign = [
      seed(sim, 600, '2025-01-01T10:00:00Z', { description: tagged('other/repo', 1) }),
      seed(sim, 601, '2025-01-02T10:00:00Z', { description: tagged('other/repo', 1) }),
      seed(sim, 602, '2025-01-03T10:00:00Z', { description: tagged('acme/shop-legacy', 5) }),
      seed(sim, 603, '2025-01-04T10:00:00Z', { description: 'Before the PHP upgrade' }),
      seed(sim, 604, '2025-01-05T10:00:00Z', { description: '' }),
      seed(sim, 605, '2025-01-06T03:00:00Z', {
        backupType: 'automatic',
        description: 'Daily automatic backup'
      })
    ]

    const result = await step(sim, { keep_backups: '2' })
    expect(result.exitCode).toBe(0)
    const created = Number(result.outputs.backup_id)
    expect(created).not.toBeNaN()
    expect([ourOldest.id, ourMiddle.id, ourNewest.id, ...foreign.map((b) => b.id)]).not.toContain(
      created
    )
    expect(result.outputs.status).toBe('completed')

    expect(deletedIds(sim).sort()).toEqual([ourMiddle.id, ourOldest.id].sort())
    expect(deletes(sim).every((r) => r.status === 204)).toBe(true)
    expect(liveIds(sim)).toEqual(
      [...foreign.map((b) => b.id), ourNewest.id, created].sort((a, b) => a - b)
    )
    // Never before the new backup has completed.
    const completed = sim.events.find((e) => e.type === 'backup-completed' && e.id === created)!
    expect(deletes(sim).every((r) => r.at >= completed.at)).toBe(true)
  })

  it('does not count a failed backup of ours as one to keep, and prunes it', async () => {
    const sim = await simulator()
    const completed = seed(sim, 600, '2025-01-10T10:00:00Z', {
      description: tagged('acme/shop', 1)
    })
    const failed = seed(sim, 601, '2025-01-11T10:00:00Z', {
      status: 'failed',
      description: tagged('acme/shop', 2)
    })
    const result = await step(sim, { keep_backups: '2' })
    expect(result.exitCode).toBe(0)
    expect(deletedIds(sim)).toEqual([failed.id])
    expect(liveIds(sim)).toEqual([completed.id, Number(result.outputs.backup_id)])
  })

  it('deletes nothing when this repository has no more than keep_backups backups', async () => {
    const sim = await simulator()
    seed(sim, 600, '2025-01-10T10:00:00Z', { description: tagged('acme/shop', 1) })
    seed(sim, 601, '2025-01-01T10:00:00Z', { description: tagged('other/repo', 1) })
    seed(sim, 602, '2025-01-02T10:00:00Z', { description: 'manual' })
    const result = await step(sim, { keep_backups: '2' })
    expect(result.exitCode).toBe(0)
    expect(deletes(sim)).toEqual([])
    expect(sim.backups()).toHaveLength(4)
  })
})

describe('the cap of 10 manual backups per server', () => {
  /** Ten manual backups of the server; the first `own` of them (the oldest) are ours. */
  function fill(sim: Simulator, own: number) {
    return Array.from({ length: 10 }, (_, i) =>
      seed(sim, 600 + i, `2025-01-${String(10 + i).padStart(2, '0')}T10:00:00Z`, {
        description:
          i < own
            ? tagged('acme/shop', 100 + i)
            : i % 2
              ? tagged('other/repo', 1)
              : `Manual backup ${i}`
      })
    )
  }

  it('fails, naming the limit and how to make room, when none of the 10 is ours', async () => {
    const sim = await simulator()
    const existing = fill(sim, 0)
    const result = await step(sim)
    expect(result.exitCode).toBe(1)
    const line = errorLine(result)
    expect(line).toContain('10')
    expect(line).toContain('keep_backups')
    expect(line).toContain('mode: delete')
    expect(deletes(sim)).toEqual([])
    expect(liveIds(sim)).toEqual(existing.map((b) => b.id))
    expect(backupPosts(sim)).toBe(1)
  })

  it('fails without deleting anything with keep_backups when none of the 10 is ours', async () => {
    const sim = await simulator()
    const existing = fill(sim, 0)
    const result = await step(sim, { keep_backups: '3' })
    expect(result.exitCode).toBe(1)
    const line = errorLine(result)
    expect(line).toContain('10')
    expect(line).toContain('mode: delete')
    expect(deletes(sim)).toEqual([])
    expect(liveIds(sim)).toEqual(existing.map((b) => b.id))
  })

  it('with keep_backups: 1, deletes our oldest to make room, creates the backup, then prunes the rest of ours', async () => {
    const sim = await simulator()
    const existing = fill(sim, 3)
    const [oldest, second, third] = existing
    const foreign = existing.slice(3).map((b) => b.id)
    const result = await step(sim, { keep_backups: '1' })
    expect(result.exitCode).toBe(0)
    const created = Number(result.outputs.backup_id)
    expect(result.outputs.status).toBe('completed')

    const posts = sim.requests.filter((r) => r.method === 'POST')
    expect(posts.map((r) => r.status)).toEqual([400, 201])
    // Room is made with our oldest backup, between the refused create and the accepted one.
    const [firstDelete] = deletes(sim)
    expect(firstDelete!.path).toBe(`/api/v1/backups/${oldest!.id}/`)
    expect(firstDelete!.at).toBeGreaterThanOrEqual(posts[0]!.at)
    expect(firstDelete!.at).toBeLessThanOrEqual(posts[1]!.at)
    expect(deletedIds(sim).sort()).toEqual([oldest!.id, second!.id, third!.id].sort())
    expect(liveIds(sim)).toEqual([...foreign, created])
  })

  it('with keep_backups: 3, deletes only our single oldest backup to make room', async () => {
    const sim = await simulator()
    const existing = fill(sim, 3)
    const result = await step(sim, { keep_backups: '3' })
    expect(result.exitCode).toBe(0)
    const created = Number(result.outputs.backup_id)
    expect(deletedIds(sim)).toEqual([existing[0]!.id])
    expect(liveIds(sim)).toEqual([...existing.slice(1).map((b) => b.id), created])
  })
})

describe('a re-run of the same workflow run reuses its backup', () => {
  const rerun = { env: { GITHUB_RUN_ATTEMPT: '2' } }

  it('reuses a completed backup the first attempt made, creating none', async () => {
    const sim = await simulator()
    const earlier = seed(sim, 600, '2025-01-14T10:30:00Z', { description: taggedStep(1) })
    const result = await step(sim, {}, rerun)
    expect(result.exitCode).toBe(0)
    expect(backupPosts(sim)).toBe(0)
    expect(result.outputs).toMatchObject({ backup_id: String(earlier.id), status: 'completed' })
    expect(result.log).toMatch(new RegExp(`reuses backup ${earlier.id}\\b`))
    expect(sim.backups()).toHaveLength(1)
  })

  it('waits for the in_progress backup the first attempt started, creating none', async () => {
    const sim = await simulator()
    const running = sim.addBackup({
      id: 600,
      serverId: SERVER_ID,
      status: 'in_progress',
      durationMs: 800,
      description: taggedStep(1)
    })
    const result = await step(sim, {}, rerun)
    expect(result.exitCode).toBe(0)
    expect(backupPosts(sim)).toBe(0)
    expect(result.log).toMatch(new RegExp(`reuses backup ${running.id}\\b`))
    expect(result.outputs).toMatchObject({ backup_id: String(running.id), status: 'completed' })
    const completed = sim.events.find((e) => e.type === 'backup-completed' && e.id === running.id)
    expect(completed).toBeDefined()
    expect(sim.requests.at(-1)!.at).toBeGreaterThanOrEqual(completed!.at)
  })

  it('creates a new backup on the first attempt, even when one is tagged with the run', async () => {
    const sim = await simulator()
    const earlier = seed(sim, 600, '2025-01-14T10:30:00Z', { description: taggedStep(1) })
    const result = await step(sim, {}, { env: { GITHUB_RUN_ATTEMPT: '1' } })
    expect(result.exitCode).toBe(0)
    expect(backupPosts(sim)).toBe(1)
    expect(result.outputs.backup_id).not.toBe(String(earlier.id))
    expect(result.log).not.toContain('reuses')
  })

  it('creates a new backup when the first attempt’s backup failed', async () => {
    const sim = await simulator()
    const failed = seed(sim, 600, '2025-01-14T10:30:00Z', {
      status: 'failed',
      description: taggedStep(1)
    })
    const result = await step(sim, {}, rerun)
    expect(result.exitCode).toBe(0)
    expect(backupPosts(sim)).toBe(1)
    expect(result.outputs.backup_id).not.toBe(String(failed.id))
    expect(result.outputs.status).toBe('completed')
  })

  it('does not reuse a backup of another run, repository, step, of a later attempt, or with a v1.0.0 tag', async () => {
    const sim = await simulator()
    seed(sim, 600, '2025-01-14T10:30:00Z', { description: tagged('acme/shop', 1111) })
    seed(sim, 601, '2025-01-14T10:31:00Z', { description: tagged('other/repo', RUN_ID) })
    // Another job's (or step's) backup of this run may hold the state after the first deploy.
    seed(sim, 602, '2025-01-14T10:32:00Z', { description: taggedStep(1, 'ffffffff') })
    seed(sim, 603, '2025-01-14T10:33:00Z', { description: taggedStep(2) })
    seed(sim, 604, '2025-01-14T10:34:00Z', { description: tagged('acme/shop', RUN_ID) })
    const result = await step(sim, {}, rerun)
    expect(result.exitCode).toBe(0)
    expect(backupPosts(sim)).toBe(1)
    expect(['600', '601', '602', '603', '604']).not.toContain(result.outputs.backup_id)
  })
})
