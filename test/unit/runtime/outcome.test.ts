import { describe, expect, it } from 'vitest'
import {
  type Outcome,
  clearPending,
  markDeleted,
  markDryRun,
  markNotFound,
  markOutputsWritten,
  markPending,
  markRestored,
  markReused,
  markWouldGoAhead,
  recordBackup,
  recordDataLoss,
  recordDeleted,
  recordHealth,
  recordLedger,
  recordRestorePoint,
  recordRun,
  recordServer,
  recordStepRestored,
  recordTook,
  skip,
  splitByServer
} from '../../../src/runtime/outcome.js'
import type { Server } from '../../../src/vpsorg/api-types.js'
import { backup } from '../../helpers/backup.js'

const empty = (): Outcome => ({ deleted: [] })
const server: Server = { id: 12345, name: 'web-server-01', status: 'restoring' }

describe('the writes to an Outcome: each sets what its name says, and nothing else', () => {
  it('recordBackup: the backup, and its status as the step’s', () => {
    const outcome = empty()
    recordBackup(outcome, backup(502, { status: 'in_progress' }))
    expect(outcome).toEqual({
      deleted: [],
      backup: backup(502, { status: 'in_progress' }),
      status: 'in_progress'
    })
  })

  it('recordRestorePoint: the backup, the status left the server’s', () => {
    const outcome: Outcome = { deleted: [], status: 'active' }
    recordRestorePoint(outcome, backup(502))
    expect(outcome).toEqual({ deleted: [], status: 'active', backup: backup(502) })
  })

  it('recordServer: the server, and its status as the step’s', () => {
    const outcome = empty()
    recordServer(outcome, server)
    expect(outcome).toEqual({ deleted: [], server, status: 'restoring' })
  })

  it('markPending and clearPending: what is left running, then nothing', () => {
    const outcome = empty()
    markPending(outcome, 'A restore runs.')
    expect(outcome).toEqual({ deleted: [], pending: 'A restore runs.' })
    clearPending(outcome)
    expect(outcome.pending).toBeUndefined()
  })

  it('markRestored: restored, and nothing left running', () => {
    const outcome: Outcome = { deleted: [], pending: 'A restore runs.', status: 'active' }
    markRestored(outcome)
    expect(outcome).toEqual({ deleted: [], restored: true, pending: undefined, status: 'active' })
  })

  it('markReused: reused', () => {
    const outcome = empty()
    markReused(outcome)
    expect(outcome).toEqual({ deleted: [], reused: true })
  })

  it('recordDeleted adds to what was deleted; markDeleted also makes the status `deleted`', () => {
    const outcome: Outcome = { deleted: [], status: 'completed' }
    recordDeleted(outcome, 501)
    expect(outcome).toEqual({ deleted: [501], status: 'completed' })
    markDeleted(outcome, 502)
    expect(outcome).toEqual({ deleted: [501, 502], status: 'deleted' })
  })

  it('markNotFound: status `not_found`', () => {
    const outcome = empty()
    markNotFound(outcome)
    expect(outcome).toEqual({ deleted: [], status: 'not_found' })
  })

  it('skip: status `skipped`, and why', () => {
    const outcome = empty()
    skip(outcome, 'Nothing to do.')
    expect(outcome).toEqual({ deleted: [], status: 'skipped', skipped: 'Nothing to do.' })
  })

  it('recordRun and recordTook: the run named, how long a server’s work took', () => {
    const outcome = empty()
    recordRun(outcome, { id: 555, url: 'https://github.com/acme/shop/actions/runs/555' })
    recordTook(outcome, 4200)
    expect(outcome).toEqual({
      deleted: [],
      run: { id: 555, url: 'https://github.com/acme/shop/actions/runs/555' },
      tookMs: 4200
    })
  })

  it('splitByServer: a new, empty outcome per server, in order, each the step’s `servers` entry', () => {
    const step: Outcome = { deleted: [] }
    const outcomes = splitByServer(step, [103, 101])
    expect(outcomes).toEqual([{ deleted: [] }, { deleted: [] }])
    expect(outcomes[0]).not.toBe(outcomes[1])
    expect([...step.servers!]).toEqual([
      [103, outcomes[0]],
      [101, outcomes[1]]
    ])
    expect(step.servers!.get(103)).toBe(outcomes[0])
  })

  it('markDryRun: set only for a dry run', () => {
    const real = empty()
    markDryRun(real, false)
    expect(real).toEqual({ deleted: [] })
    const dry = empty()
    markDryRun(dry, true)
    expect(dry).toEqual({ deleted: [], dryRun: true })
  })

  it('markWouldGoAhead: status `dry_run`, the rest as it was', () => {
    const outcome: Outcome = { deleted: [], status: 'active', server }
    markWouldGoAhead(outcome)
    expect(outcome).toEqual({ deleted: [], status: 'dry_run', server })
  })

  it('recordDataLoss, markOutputsWritten, recordHealth, recordLedger: each its own field', () => {
    const outcome = empty()
    recordDataLoss(outcome, 'Restoring server 12345 to backup 502 …')
    markOutputsWritten(outcome)
    const health = { checks: [], rounds: 0 }
    recordHealth(outcome, health)
    const ledger = {
      environment: 'production',
      url: 'https://github.com/acme/shop/deployments/production'
    }
    recordLedger(outcome, ledger)
    expect(outcome).toEqual({
      deleted: [],
      dataLoss: 'Restoring server 12345 to backup 502 …',
      outputsWritten: true,
      health,
      ledger
    })
    expect(outcome.health).toBe(health)
    expect(outcome.ledger).toBe(ledger)
  })

  it('recordStepRestored: restored only when every server is', () => {
    const step = empty()
    recordStepRestored(step, [{ deleted: [], restored: true }, { deleted: [] }])
    expect(step).toEqual({ deleted: [], restored: false })
    recordStepRestored(step, [
      { deleted: [], restored: true },
      { deleted: [], restored: true }
    ])
    expect(step).toEqual({ deleted: [], restored: true })
  })
})
