import { describe, expect, it } from 'vitest'
import { stepOutputs } from '../../../src/report/outputs.js'
import type { Outcome } from '../../../src/runtime/outcome.js'
import { backup } from '../../helpers/backup.js'

/** The outputs of a backup step that ended with `outcome`, and the warnings given. */
function outputs(outcome: Partial<Outcome>): {
  values: Record<string, string>
  warnings: string[]
} {
  const warnings: string[] = []
  const values = stepOutputs({ deleted: [], ...outcome }, { mode: 'backup' }, [12345], (w) =>
    warnings.push(w)
  )
  return { values, warnings }
}

describe('stepOutputs', () => {
  it('sets every output of a completed backup', () => {
    expect(outputs({ backup: backup(502, { size_mb: 4456.5 }), status: 'completed' })).toEqual({
      values: {
        backup_id: '502',
        backup_ids: '{"12345":502}',
        status: 'completed',
        statuses: '{"12345":"completed"}',
        size_mb: '4456.5',
        created_at: '2025-01-16T15:45:00Z',
        server_name: 'web-server-01'
      },
      warnings: []
    })
  })

  it('sets backup_id in delete mode even when nothing was found', () => {
    const warn = (): void => undefined
    const values = stepOutputs(
      { deleted: [], status: 'not_found' },
      { mode: 'delete', backupId: 7 },
      [12345],
      warn
    )
    expect(values).toEqual({
      backup_id: '7',
      backup_ids: '{"12345":7}',
      status: 'not_found',
      statuses: '{"12345":"not_found"}'
    })
  })

  it.each([
    ['created_at', { created_at: '2025-01-16T15:45:00Z\n::error::x' }],
    ['created_at', { created_at: 'yesterday' }],
    ['created_at', { created_at: '2025-13-45T99:99:00Z' }],
    ['created_at', { created_at: '' }],
    ['server_name', { server: { id: 12345, name: 'web\nserver' } }],
    ['server_name', { server: { id: 12345, name: 'x'.repeat(256) } }]
  ])('leaves %s unset, with a warning, for %j', (name, overrides) => {
    const { values, warnings } = outputs({ backup: backup(502, overrides), status: 'completed' })
    expect(values[name]).toBeUndefined()
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^Output ${name} is not set: `))])
  })

  it('leaves a status that is not one word unset, with a warning', () => {
    const { values, warnings } = outputs({ backup: backup(), status: 'done\n::error::x' })
    expect(values.status).toBeUndefined()
    expect(warnings).toEqual(["Output status is not set: the API's value is not one word."])
  })

  it('warns when a completed backup has no size (the API sent no number)', () => {
    const { values, warnings } = outputs({
      backup: backup(502, { size_mb: null }),
      status: 'completed'
    })
    expect(values.size_mb).toBeUndefined()
    expect(warnings).toEqual([
      'Output size_mb is not set: the API gave no size in MB (a number) for the backup.'
    ])
  })

  it('sets no size and gives no warning for a backup still running', () => {
    const running = backup(502, { status: 'in_progress', size_mb: null })
    expect(outputs({ backup: running, status: 'in_progress' }).warnings).toEqual([])
  })

  it('takes the server name from the server when there is one', () => {
    const server = { id: 12345, name: 'renamed', status: 'active' }
    expect(outputs({ backup: backup(), server }).values.server_name).toBe('renamed')
  })

  it('with several servers: each one’s id and status, none of one server’s outputs', () => {
    const warnings: string[] = []
    const servers = new Map<number, Outcome>([
      [101, { deleted: [], backup: backup(501), status: 'completed' }],
      [102, { deleted: [] }],
      [103, { deleted: [], backup: backup(503), status: 'in progress!' }]
    ])
    const values = stepOutputs({ deleted: [], servers }, { mode: 'backup' }, [101, 102, 103], (w) =>
      warnings.push(w)
    )
    expect(values).toEqual({
      backup_ids: '{"101":501,"103":503}',
      statuses: '{"101":"completed"}'
    })
    expect(warnings).toEqual([
      "Output statuses leaves out server 103: the API's status is not one word."
    ])
  })

  it('with several servers, a restore from backup_ids names each backup asked for', () => {
    const servers = new Map<number, Outcome>([
      [101, { deleted: [], status: 'active' }],
      [102, { deleted: [], status: 'restoring' }]
    ])
    const target = {
      mode: 'restore' as const,
      backupId: new Map([
        [101, 7],
        [102, 8]
      ])
    }
    expect(stepOutputs({ deleted: [], servers }, target, [101, 102], () => undefined)).toEqual({
      backup_ids: '{"101":7,"102":8}',
      status: 'restoring',
      statuses: '{"101":"active","102":"restoring"}'
    })
  })
})

describe('stepOutputs, each output checked for what it promises', () => {
  it('health: healthy or unhealthy once the checks ended, else unset', () => {
    const health = (healthy?: boolean) => ({ healthy, rounds: 1, checks: [] })
    expect(outputs({ health: health(true) }).values.health).toBe('healthy')
    expect(outputs({ health: health(false) }).values.health).toBe('unhealthy')
    expect(outputs({ health: health() }).values).not.toHaveProperty('health')
  })

  it('deployment_id: the deployment of the ledger, unset without one', () => {
    const ledger = { environment: 'prod', url: 'https://github.com/d' }
    expect(outputs({ ledger: { ...ledger, deploymentId: 77 } }).values.deployment_id).toBe('77')
    expect(outputs({ ledger }).values).not.toHaveProperty('deployment_id')
  })

  it.each([
    [1.25, '1.25'],
    [1e21, '1e+21'],
    [0, '0']
  ])('size_mb %s is %s', (size_mb, text) => {
    expect(outputs({ backup: backup(502, { size_mb }) })).toEqual({
      values: expect.objectContaining({ size_mb: text }),
      warnings: []
    })
  })

  it('leaves a negative size_mb unset, with a warning', () => {
    const { values, warnings } = outputs({ backup: backup(502, { size_mb: -5 }) })
    expect(values).not.toHaveProperty('size_mb')
    expect(warnings).toEqual(["Output size_mb is not set: the API's value is not a number."])
  })

  it.each(['2025-01-16T15:45:00+05:30', '2025-01-16T15:45:00+0530', '2025-01-16T15:45-01:00'])(
    'sets created_at %s, with its offset',
    (created_at) => {
      expect(outputs({ backup: backup(502, { created_at }) }).values.created_at).toBe(created_at)
    }
  )

  it.each([-5, 5.5])('leaves backup id %s unset, with a warning', (id) => {
    const { values, warnings } = outputs({ backup: backup(id) })
    expect(values).not.toHaveProperty('backup_id')
    expect(values).not.toHaveProperty('backup_ids')
    expect(warnings).toContain("Output backup_id is not set: the API's value is not a backup id.")
    expect(warnings).toContain(
      "Output backup_ids is not set: the API's value is not server ids to backup ids."
    )
  })

  it('restore of the latest backup that found none: no backup id', () => {
    const warnings: string[] = []
    const values = stepOutputs(
      { deleted: [], status: 'error' },
      { mode: 'restore', backupId: 'latest' },
      [12345],
      (w) => warnings.push(w)
    )
    expect(values).toEqual({ status: 'error', statuses: '{"12345":"error"}' })
    expect(warnings).toEqual([])
  })
})

describe('stepOutputs, several servers', () => {
  it('names each server whose completed backup has no size', () => {
    const warnings: string[] = []
    const servers = new Map<number, Outcome>([
      [101, { deleted: [], backup: backup(501, { size_mb: null }), status: 'completed' }],
      [102, { deleted: [], backup: backup(502), status: 'completed' }]
    ])
    stepOutputs({ deleted: [], servers }, { mode: 'backup' }, [101, 102], (w) => warnings.push(w))
    expect(warnings).toEqual([
      "Server 101's size is unknown: the API gave no size in MB (a number) for the backup."
    ])
  })
})

describe('the ledger (environment) in the outputs', () => {
  const ledger = { environment: 'production', url: 'x', deploymentId: 1001, state: 'in_progress' }

  it('deployment_id is the deployment this step created or set a status of', () => {
    const { values, warnings } = outputs({ backup: backup(), status: 'completed', ledger })
    expect(values.deployment_id).toBe('1001')
    expect(warnings).toEqual([])
  })

  it('is unset without a deployment', () => {
    const { values } = outputs({ backup: backup(), status: 'completed' })
    expect(values.deployment_id).toBeUndefined()
  })
})
