import { describe, expect, it } from 'vitest'
import { renderDryRun } from '../../../src/report/dry-run.js'
import type { Report } from '../../../src/report/report.js'
import type { Outcome } from '../../../src/runtime/outcome.js'
import { backup } from '../../helpers/backup.js'

function report(overrides: Partial<Report> = {}): Report {
  return {
    mode: 'restore',
    serverIds: [12345],
    outcome: { deleted: [], dryRun: true },
    elapsedMs: 1000,
    actionRef: 'vpsorg/backup-action@v1',
    ...overrides
  }
}

const found = (id: number, server: number): Outcome => ({
  backup: backup(id, { server: { id: server, name: `web-${server}` } }),
  status: 'dry_run',
  deleted: []
})

describe('renderDryRun', () => {
  it('one server, restore: what a real run would restore, and the step pinned to its backup', () => {
    expect(renderDryRun(report(), [[12345, found(502, 12345)]])).toEqual([
      '### Dry run: nothing was restored',
      '',
      '<p>Every check a real run makes passed. A real run of this step (dry&#95;run: false) would restore server 12345 from backup 502 (what each restore throws away: the data-loss window). The step that would do it, pinned to the backup found:</p>',
      '',
      '```yaml',
      '- uses: vpsorg/backup-action@v1',
      '  with:',
      '    api_token: ${{ secrets.VPSORG_API_TOKEN }}',
      '    server_id: 12345',
      '    mode: restore',
      '    backup_id: 502',
      '```',
      ''
    ])
  })

  it('several servers, delete: each server with its backup, pinned by backup_id JSON', () => {
    const lines = renderDryRun(report({ mode: 'delete', serverIds: [101, 102] }), [
      [101, found(501, 101)],
      [102, found(502, 102)]
    ])
    expect(lines).toEqual([
      '### Dry run: nothing was deleted',
      '',
      '<p>Every check a real run makes passed. A real run of this step (dry&#95;run: false) would delete server 101: backup 501, server 102: backup 502. The step that would do it, pinned to the backups found:</p>',
      '',
      '```yaml',
      '- uses: vpsorg/backup-action@v1',
      '  with:',
      '    api_token: ${{ secrets.VPSORG_API_TOKEN }}',
      '    server_id: 101, 102',
      '    mode: delete',
      `    backup_id: '{"101":501,"102":502}'`,
      '```',
      ''
    ])
  })

  it('names only the servers whose dry run found a backup', () => {
    const lines = renderDryRun(report({ serverIds: [101, 102, 103] }), [
      [101, found(501, 101)],
      [102, { status: 'dry_run', deleted: [] }],
      [103, { ...found(503, 103), status: 'failed' }]
    ])
    expect(lines[2]).toContain('would restore server 101 from backup 501 (what')
    expect(lines).toContain('    server_id: 101')
    expect(lines).toContain('    backup_id: 501')
  })

  it('says only that nothing was changed when no backup was found', () => {
    expect(
      renderDryRun(report({ mode: 'delete' }), [[12345, { status: 'x', deleted: [] }]])
    ).toEqual(['### Dry run: nothing was deleted', ''])
  })

  it('shows nothing for a real run, or a dry run of a mode that changes nothing', () => {
    const servers: Array<[number, Outcome]> = [[12345, found(502, 12345)]]
    expect(renderDryRun(report({ outcome: { deleted: [] } }), servers)).toEqual([])
    expect(renderDryRun(report({ outcome: { deleted: [], dryRun: false } }), servers)).toEqual([])
    for (const mode of ['backup', 'verify'] as const) {
      expect(renderDryRun(report({ mode }), servers)).toEqual([])
    }
  })
})
