import { afterEach, describe, expect, it } from 'vitest'
import { dataLossLine } from '../../../src/modes/data-loss.js'
import { runRestore } from '../../../src/modes/restore.js'
import { renderSummary } from '../../../src/report/summary.js'
import type { Backup } from '../../../src/vpsorg/api-types.js'
import { EPOCH } from '../../helpers/fake-clock.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'

afterEach(closeAgents)

const backup = (created_at: string): Backup => ({
  id: 501,
  server: { id: 12345, name: 'web-1' },
  backup_type: 'manual',
  status: 'completed',
  size_mb: 10,
  created_at,
  description: null
})

describe('dataLossLine', () => {
  it('says the server, the backup, when it was taken and how long ago, and what is lost', () => {
    const now = Date.parse('2026-11-27T22:29:18Z')
    expect(dataLossLine(12345, backup('2026-11-27T21:47:18Z'), now)).toBe(
      'Restoring server 12345 to backup 501, created 2026-11-27T21:47:18Z (42m ago): anything written to the server since then is lost.'
    )
  })

  it('writes the date itself: an offset or fractions of the API become UTC, nothing of its text is kept', () => {
    const now = Date.parse('2026-11-28T00:00:00Z')
    expect(dataLossLine(1, backup('2026-11-27T23:47:18.5+02:00'), now)).toContain(
      'created 2026-11-27T21:47:18.500Z (2h12m42s ago):'
    )
  })

  it.each([
    '',
    'yesterday',
    '2026-11-27T21:47:18Z\n::error::PWNED',
    '2026-13-45T99:99:99Z',
    '<b>2026</b>'
  ])('a created_at that is not a date-time (%j) is not shown', (created) => {
    const line = dataLossLine(12345, backup(created), EPOCH)
    expect(line).toBe(
      'Restoring server 12345 to backup 501, created at a time the API did not give as a date-time: anything written to the server since then is lost.'
    )
  })

  it('a backup taken this very moment is 0s ago, not ahead of the clock', () => {
    const now = Date.parse('2026-11-27T21:47:18Z')
    expect(dataLossLine(12345, backup('2026-11-27T21:47:18Z'), now)).toContain(
      'created 2026-11-27T21:47:18Z (0s ago):'
    )
  })

  it("a date ahead of the runner's clock says so rather than a negative age", () => {
    const line = dataLossLine(12345, backup('2025-01-16T15:50:00Z'), EPOCH)
    expect(line).toContain("created 2025-01-16T15:50:00Z (5m ahead of this runner's clock):")
  })
})

describe('a restore says its data-loss window before the restore request', () => {
  it('in the log, before the POST, and in the summary', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501, createdAt: '2025-01-16T14:15:00Z' })
    let linesAtPost = -1
    api.hook = (call) => {
      if (call.method === 'POST') linesAtPost = log.lines.length
      return undefined
    }
    await runRestore(rt, [rt], [501])
    const line =
      'Restoring server 12345 to backup 501, created 2025-01-16T14:15:00Z (1h30m ago): anything written to the server since then is lost.'
    const at = log.lines.findIndex((l) => l.message === line)
    expect(at).toBeGreaterThanOrEqual(0)
    expect(at).toBeLessThan(linesAtPost)
    const summary = renderSummary({
      mode: 'restore',
      serverIds: [12345],
      outcome: rt.outcome,
      elapsedMs: 1000,
      actionRef: 'vpsorg/backup-action@v1'
    })
    expect(summary).toContain(`<strong>Data-loss window:</strong><br>${line}</p>`)
  })

  it('no restore requested (the backup is refused): no data-loss line', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501, status: 'failed' })
    await expect(runRestore(rt, [rt], [501])).rejects.toThrow(/failed when it was made/)
    expect(log.text()).not.toContain('anything written')
    expect(rt.outcome.dataLoss).toBeUndefined()
  })
})
