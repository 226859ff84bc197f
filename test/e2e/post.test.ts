import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ROOT } from '../../scripts/root.js'
import { SERVER_ID, backupPosts, errorLine, restorePosts, simulator, step } from './fixture.js'

/** Long enough for the rollback's first status poll to see the server `restoring`. */
const VISIBLE_RESTORE_MS = 1500
const ROLLBACK = { rollback_on_failure: 'true' }
const warnings = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning::'))

describe('automatic rollback: the post step, run as the runner runs it', () => {
  it('is declared as a post step that runs only when the job failed', () => {
    const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
      runs: Record<string, string>
      inputs: Record<string, { default?: string }>
    }
    expect(action.runs).toMatchObject({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/index.js',
      'post-if': 'failure()'
    })
    expect(action.inputs.rollback_on_failure?.default).toBe('false')
  })

  describe('the main step', () => {
    it('with rollback_on_failure saves the completed backup’s id for the post step', async () => {
      const sim = await simulator()
      const main = await step(sim, ROLLBACK)
      expect(main.exitCode).toBe(0)
      const id = sim.backups()[0]!.id
      expect(main.outputs.backup_id).toBe(String(id))
      expect(main.state).toEqual({
        isPost: 'true',
        rollback_backup_ids: `{"${SERVER_ID}":${id}}`
      })
      // The post step restores: the summary offers no rollback step, which would restore twice.
      expect(main.summary).toContain(
        `this action's post step restores server ${SERVER_ID} from backup ${id}`
      )
      expect(main.summary).not.toContain('mode: restore')
    })

    it('without rollback_on_failure saves no rollback id', async () => {
      const sim = await simulator()
      const main = await step(sim)
      expect(main.exitCode).toBe(0)
      expect(main.state).toEqual({ isPost: 'true' })
    })

    it('with wait: false saves no rollback id (the backup has not completed) and warns', async () => {
      const sim = await simulator({ backupDurationMs: 60_000 })
      const main = await step(sim, { ...ROLLBACK, wait: 'false' })
      expect(main.exitCode).toBe(0)
      expect(main.outputs.status).toBe('in_progress')
      expect(main.state).toEqual({ isPost: 'true' })
      expect(warnings(main.log)).toHaveLength(1)
      expect(warnings(main.log)[0]).toContain('rollback_on_failure')
    })

    // The backup completed, but the step was cancelled while pruning: it failed, the deploy after
    // it never ran, and a rollback would restore a server nothing changed.
    it('cancelled while pruning after its backup completed arms no rollback, and says so', async () => {
      const sim = await simulator()
      sim.addBackup({
        serverId: SERVER_ID,
        createdAt: '2025-01-10T10:00:00Z',
        description: 'Pre-deployment backup [gha:acme/shop#1111]'
      })
      sim.inject({ method: 'DELETE', fault: { kind: 'hang' } })
      const main = await step(
        sim,
        { ...ROLLBACK, keep_backups: '1' },
        { signals: [{ afterMs: 2500, signal: 'SIGINT' }] }
      )
      expect(main.exitCode).not.toBe(0)
      expect(sim.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1)
      expect(main.state).toEqual({ isPost: 'true' })
      expect(main.summary).toContain('No automatic rollback: this step did not succeed')
      expect(main.summary).not.toContain('if: failure()')
      const post = await step(sim, ROLLBACK, { post: { state: main.state } })
      expect(post.exitCode).toBe(0)
      expect(sim.restores).toEqual([])
      expect(post.log).toContain('No automatic rollback')
    })

    it('whose backup failed saves no rollback id', async () => {
      const sim = await simulator()
      sim.nextBackupOutcomes.push('failed')
      const main = await step(sim, ROLLBACK)
      expect(main.exitCode).toBe(1)
      expect(main.state).toEqual({ isPost: 'true' })
    })
  })

  it('after a failed job, restores the server from the saved backup, waits until it is active and says so loudly', async () => {
    const sim = await simulator({ restoreDurationMs: VISIBLE_RESTORE_MS })
    // An older backup of the server that must not be the one restored.
    sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-10T10:00:00Z' })
    const main = await step(sim, ROLLBACK)
    expect(main.exitCode).toBe(0)
    const id = JSON.parse(main.state.rollback_backup_ids!)[SERVER_ID] as number
    expect(id).toBe(Number(main.outputs.backup_id))
    // ... the deploy fails; the runner runs the post step (post-if: failure()).
    const post = await step(sim, ROLLBACK, { post: { state: main.state } })
    const statusOnReturn = sim.server(SERVER_ID).status
    expect(post.exitCode).toBe(0)
    expect(statusOnReturn).toBe('active')
    expect(sim.restores).toEqual([expect.objectContaining({ serverId: SERVER_ID, backupId: id })])
    expect(restorePosts(sim)).toBe(1)
    expect(backupPosts(sim)).toBe(1)
    const restore = sim.restores[0]!
    const polls = sim.requests.filter(
      (r) => r.method === 'GET' && r.path === `/api/v1/servers/${SERVER_ID}/` && r.at > restore.at
    )
    expect(polls.at(-1)!.at).toBeGreaterThanOrEqual(restore.at + restore.durationMs)
    expect(post.log).not.toContain('::error::')
    const warning = warnings(post.log)
    expect(warning).toHaveLength(1)
    expect(warning[0]).toMatch(/automatic rollback/i)
    expect(warning[0]).toContain(String(id))
    expect(post.summary).toMatch(/automatic rollback/i)
    expect(post.summary).toContain(`<td>${id}</td>`)
    expect(post.summary).toContain('✅')
  })

  it('fails when the rollback leaves the server in error', async () => {
    const sim = await simulator()
    const main = await step(sim, ROLLBACK)
    expect(main.exitCode).toBe(0)
    sim.nextRestoreOutcomes.push('error')
    const post = await step(sim, ROLLBACK, { post: { state: main.state } })
    expect(post.exitCode).toBe(1)
    expect(errorLine(post)).toContain("'error'")
    expect(sim.restores).toHaveLength(1)
    expect(post.summary).toMatch(/automatic rollback/i)
    expect(post.summary).toContain('❌')
  })

  it('does nothing without a saved rollback id: no request at all, exit 0', async () => {
    const sim = await simulator()
    const post = await step(sim, {}, { post: { state: { isPost: 'true' } } })
    expect(post.exitCode).toBe(0)
    expect(sim.requests).toEqual([])
    expect(sim.restores).toEqual([])
    expect(post.log).not.toContain('::error::')
    expect(warnings(post.log)).toEqual([])
  })

  it('does nothing after a main step whose backup failed, even with rollback_on_failure', async () => {
    const sim = await simulator()
    sim.nextBackupOutcomes.push('failed')
    const main = await step(sim, ROLLBACK)
    expect(main.exitCode).toBe(1)
    const before = sim.requests.length
    const post = await step(sim, ROLLBACK, { post: { state: main.state } })
    expect(post.exitCode).toBe(0)
    expect(sim.requests.length).toBe(before)
    expect(sim.restores).toEqual([])
  })
})
