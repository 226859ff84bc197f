import { describe, expect, it } from 'vitest'
import { DEFAULT_API_URL } from '../../../src/inputs/settings.js'
import type { Report } from '../../../src/report/report.js'
import { actionStep, backupsNote } from '../../../src/report/rollback.js'
import type { Outcome } from '../../../src/runtime/outcome.js'
import { scrubberOf } from '../../../src/common/untrusted.js'
import { backup } from '../../helpers/backup.js'

function report(overrides: Partial<Report> = {}): Report {
  return {
    mode: 'backup',
    serverIds: [12345],
    outcome: { deleted: [] },
    elapsedMs: 1000,
    actionRef: 'vpsorg/backup-action@v1',
    ...overrides
  }
}

const server = (id: number, backupId: number, status = 'completed'): [number, Outcome] => [
  id,
  { backup: backup(backupId, { server: { id, name: `web-${id}` }, status }), status, deleted: [] }
]
const one = [server(12345, 502)]
const two = [server(101, 501), server(102, 502)]
const withToken = ['  with:', '    api_token: ${{ secrets.VPSORG_API_TOKEN }}']

describe('backupsNote', () => {
  it('one backup, no step id: the step to paste with the backup id', () => {
    expect(backupsNote(report(), one)).toEqual([
      '### Roll back to this backup',
      '',
      'Add this step (or run it from a `workflow_dispatch` workflow) to restore the server to the state before the deploy:',
      '',
      '```yaml',
      '- uses: vpsorg/backup-action@v1',
      ...withToken,
      '    server_id: 12345',
      '    mode: restore',
      '    backup_id: 502',
      '```',
      ''
    ])
  })

  it('several backups, a step id: the step after the deploy reading backup_ids, then the ids', () => {
    expect(
      backupsNote(report({ stepId: 'pre_deploy-1', apiUrl: 'http://127.0.0.1:8080/api/v1' }), two)
    ).toEqual([
      '### Roll back to these backups',
      '',
      'Add this step after the deploy: it restores the servers to the state before the deploy when the deploy fails.',
      '',
      '```yaml',
      "- if: failure() && steps.pre_deploy-1.outcome == 'success'",
      '  uses: vpsorg/backup-action@v1',
      ...withToken,
      '    api_url: http://127.0.0.1:8080/api/v1',
      '    server_id: 101, 102',
      '    mode: restore',
      '    backup_id: ${{ steps.pre_deploy-1.outputs.backup_ids }}',
      '```',
      '',
      `From another workflow (\`workflow_dispatch\`, say), restore with \`backup_id: '{"101":501,"102":502}'\`.`,
      ''
    ])
  })

  it('one backup, a step id: reads backup_id, and gives the id for another workflow', () => {
    const lines = backupsNote(report({ stepId: 'backup' }), one)
    expect(lines[2]).toBe(
      'Add this step after the deploy: it restores the server to the state before the deploy when the deploy fails.'
    )
    expect(lines).toContain('    backup_id: ${{ steps.backup.outputs.backup_id }}')
    expect(lines.slice(-2)).toEqual([
      'From another workflow (`workflow_dispatch`, say), restore with `backup_id: 502`.',
      ''
    ])
  })

  it.each(['1backup', 'x}} ${{ evil', 'a.b', ''])(
    'a step id that is not one (%j) gets the literal ids',
    (stepId) => {
      const lines = backupsNote(report({ stepId }), two)
      expect(lines.join('\n')).not.toContain('steps.')
      expect(lines).toContain(`    backup_id: '{"101":501,"102":502}'`)
      expect(lines[2]).toBe(
        'Add this step (or run it from a `workflow_dispatch` workflow) to restore the servers to the state before the deploy:'
      )
    }
  )

  it('a step that failed gets the literal ids even with a valid step id', () => {
    const lines = backupsNote(report({ stepId: 'backup', error: 'Cancelled.' }), one)
    expect(lines.join('\n')).not.toContain('steps.')
    expect(lines.at(-3)).toBe('    backup_id: 502')
  })

  it('armed: the post step restores them; no step to paste', () => {
    expect(backupsNote(report({ rollback: 'armed', stepId: 'backup' }), one)).toEqual([
      '### Roll back to this backup',
      '',
      "<p>Automatic (rollback_on_failure): if a later step of this job fails, this action's post step restores server 12345 from backup 502 and waits until it is active. Add no rollback step of your own for this job: it would restore a second time.</p>",
      ''
    ])
    expect(backupsNote(report({ rollback: 'armed' }), two)).toEqual([
      '### Roll back to these backups',
      '',
      "<p>Automatic (rollback_on_failure): if a later step of this job fails, this action's post step restores server 101 from backup 501, server 102 from backup 502 and waits until they are active. Add no rollback step of your own for this job: it would restore a second time.</p>",
      ''
    ])
  })

  it('not armed: says so, then the step to paste', () => {
    const lines = backupsNote(report({ rollback: 'not armed', error: 'Cancelled.' }), one)
    expect(lines.slice(0, 4)).toEqual([
      '<p>No automatic rollback: this step did not succeed, so its post step restores nothing.</p>',
      '',
      '### Roll back to this backup',
      ''
    ])
    expect(lines).toContain('    backup_id: 502')
  })

  it('some completed and the step failed: they are kept, and the step that deletes them', () => {
    const servers = [server(101, 501), server(102, 502, 'failed'), server(103, 503)]
    expect(backupsNote(report({ error: 'boom' }), servers)).toEqual([
      '<p><strong>Kept:</strong> the completed backups (server 101: backup 501, server 103: backup 503) are valid restore points and are kept. To delete them:</p>',
      '',
      '```yaml',
      '- uses: vpsorg/backup-action@v1',
      ...withToken,
      '    server_id: 101, 103',
      '    mode: delete',
      `    backup_id: '{"101":501,"103":503}'`,
      '```',
      ''
    ])
  })

  it('none completed: nothing', () => {
    expect(backupsNote(report(), [server(12345, 502, 'failed')])).toEqual([])
    expect(
      backupsNote(report(), [[101, { deleted: [] }], server(102, 502, 'in_progress')])
    ).toEqual([])
  })
})

describe('actionStep', () => {
  const lines = (apiUrl?: string, scrub?: (t: string) => string) =>
    actionStep(report({ apiUrl, scrub }), [7], 'delete', '9')

  it('leaves the default api_url out', () => {
    const expected = [
      '- uses: vpsorg/backup-action@v1',
      ...withToken,
      '    server_id: 7',
      '    mode: delete',
      '    backup_id: 9'
    ]
    expect(lines()).toEqual(expected)
    expect(lines(DEFAULT_API_URL)).toEqual(expected)
  })

  it('keeps only URL characters of a custom api_url, scrubbed of secrets', () => {
    expect(lines('https://proxy.example/a b"\'<x>`${{ y }}/api/v1')).toContain(
      '    api_url: https://proxy.example/abxy/api/v1'
    )
    expect(lines('https://proxy.example/hunter2/v1', scrubberOf(['hunter2']))).toContain(
      '    api_url: https://proxy.example//v1'
    )
  })

  it('takes another uses line', () => {
    expect(actionStep(report(), [1, 2], 'restore', 'x', '  uses: a/b@c').slice(0, 2)).toEqual([
      '  uses: a/b@c',
      '  with:'
    ])
  })
})
