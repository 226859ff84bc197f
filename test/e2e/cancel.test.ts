import { describe, expect, it } from 'vitest'
import type { StepResult } from '../../scripts/local-runner.js'
import { recorder } from '../../scripts/fault-matrix.js'
import {
  SERVER_ID,
  backupPosts,
  currentTest,
  errorLine,
  restorePosts,
  simulator,
  step
} from './fixture.js'

/*
 * Cancellation as the runner does it: SIGINT to the step's process (then SIGTERM 7.5 s later,
 * then a kill 2.5 s after that). Whatever it is doing, the action must stop within 2 s of the
 * signal, say what it left running on VPS.org and how to clean it up, set the outputs it has and
 * exit non-zero.
 */

const FILE = 'test/e2e/cancel.test.ts'
const BACKUPS = '/api/v1/backups/'
const RESTORE = `/api/v1/servers/${SERVER_ID}/restore/`
/** When the signal is sent: well after start-up, while the step waits. */
const AFTER_MS = 1500
/** The bound: the step ends within 2 s of the signal. */
const WITHIN_MS = 2000

const { sim, run } = recorder(FILE, {
  simulator,
  step,
  currentTest
})

/** The checks every cancelled step must pass; returns its error line. */
function expectCancelled(result: StepResult, signal: NodeJS.Signals): string {
  expect(result.signal).toBeNull() // it exited by itself, it was not killed by the signal
  expect(result.exitCode).not.toBe(0)
  expect(result.exitCode).not.toBeNull()
  expect(result.durationMs - AFTER_MS).toBeLessThan(WITHIN_MS)
  expect(result.log).toContain(`Received ${signal}: the workflow was cancelled; stopping.`)
  const line = errorLine(result)
  expect(line).toMatch(/^The workflow was cancelled\. /)
  expect(result.summary).toContain('❌')
  return line
}

describe.each(['SIGINT', 'SIGTERM'] as const)('%s while the step waits', (signal) => {
  it('for a long backup: stops, names the backup left running and how to delete it', async () => {
    const s = await sim({ backupDurationMs: 60_000 })
    const result = await run(s, {}, { signals: [{ afterMs: AFTER_MS, signal }] })
    const line = expectCancelled(result, signal)
    const backups = s.backups()
    expect(backups).toHaveLength(1)
    const id = backups[0]!.id
    expect(backups[0]!.status).toBe('in_progress')
    expect(line).toContain(`Backup ${id} of server ${SERVER_ID} is still being created on VPS.org`)
    expect(line).toContain(`mode: delete, backup_id: ${id}`)
    expect(result.outputs).toMatchObject({ backup_id: String(id), status: 'in_progress' })
    expect(result.summary).toContain('Still running')
    expect(backupPosts(s)).toBe(1)
  })

  it('for a long restore: stops, names the server and the backup being restored', async () => {
    const s = await sim({ restoreDurationMs: 60_000 })
    const backup = s.addBackup({ serverId: SERVER_ID, description: 'nightly' })
    const result = await run(
      s,
      { mode: 'restore', backup_id: String(backup.id) },
      { signals: [{ afterMs: AFTER_MS, signal }] }
    )
    const line = expectCancelled(result, signal)
    expect(s.restores).toHaveLength(1)
    expect(s.server(SERVER_ID).status).toBe('restoring')
    expect(line).toContain(`Server ${SERVER_ID} is being restored from backup ${backup.id}`)
    expect(line).toContain('the restore goes on')
    expect(result.outputs).toMatchObject({ backup_id: String(backup.id), status: 'restoring' })
    expect(restorePosts(s)).toBe(1)
  })
})

describe('SIGINT at other moments', () => {
  it('while a request hangs: the request is aborted at once; nothing was started', async () => {
    const s = await sim()
    s.inject({ method: 'GET', path: BACKUPS, fault: { kind: 'hang' } })
    const result = await run(s, {}, { signals: [{ afterMs: AFTER_MS, signal: 'SIGINT' }] })
    const line = expectCancelled(result, 'SIGINT')
    expect(line).toBe(
      'The workflow was cancelled. Nothing the action started is left running on VPS.org.'
    )
    expect(backupPosts(s)).toBe(0)
    expect(s.backups()).toHaveLength(0)
    expect(result.outputs).toEqual({})
  })

  it('while backing off after a 429 (Retry-After: 30): the sleep is cut short', async () => {
    const s = await sim()
    s.inject({
      method: 'GET',
      path: BACKUPS,
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '30' } }
    })
    const result = await run(s, {}, { signals: [{ afterMs: AFTER_MS, signal: 'SIGINT' }] })
    expectCancelled(result, 'SIGINT')
    expect(result.log).toContain('Retrying in 30s')
    expect(s.requests).toHaveLength(1)
  })

  it('while the create request is in flight (the server created it): warns that it may exist', async () => {
    const s = await sim({ backupDurationMs: 60_000 })
    s.inject({ method: 'POST', path: BACKUPS, fault: { kind: 'hang-after' } })
    const result = await run(s, {}, { signals: [{ afterMs: AFTER_MS, signal: 'SIGINT' }] })
    const line = expectCancelled(result, 'SIGINT')
    const [backup] = s.backups()
    expect(backup).toBeDefined()
    // The answer never came, so the action cannot know the id; it must not claim that nothing is
    // left running, and must say how to find the backup.
    expect(line).not.toContain('Nothing the action started is left running')
    expect(line).toContain('may exist')
    expect(line).toContain(backup!.description)
  })

  // What is pending is recorded before the restore request goes out, not once it is answered:
  // a cancellation while it is in flight must not say that nothing is left running.
  it('while the restore request is in flight (the server started it): does not say nothing is running', async () => {
    const s = await sim({ restoreDurationMs: 60_000 })
    const backup = s.addBackup({ serverId: SERVER_ID, description: 'nightly' })
    s.inject({ method: 'POST', path: RESTORE, fault: { kind: 'hang-after' } })
    const result = await run(
      s,
      { mode: 'restore', backup_id: String(backup.id) },
      { signals: [{ afterMs: AFTER_MS, signal: 'SIGINT' }] }
    )
    const line = expectCancelled(result, 'SIGINT')
    expect(s.restores).toHaveLength(1)
    expect(line).not.toContain('Nothing the action started is left running')
    expect(line).toContain(`Server ${SERVER_ID}`)
    expect(line).toContain(`backup ${backup.id}`)
    expect(result.outputs.backup_id).toBe(String(backup.id))
  })
})
