import { describe, expect, it } from 'vitest'
import type { Report } from '../../../src/report/report.js'
import { healthOutcome, renderHealth, renderSummary } from '../../../src/report/summary.js'
import type { Outcome } from '../../../src/runtime/outcome.js'
import { canonical, scrubberOf } from '../../../src/common/untrusted.js'
import { backup } from '../../helpers/backup.js'

function report(overrides: Partial<Report> = {}): Report {
  return {
    mode: 'backup',
    serverIds: [12345],
    outcome: { backup: backup(), status: 'completed', deleted: [] },
    elapsedMs: 95_000,
    actionRef: 'vpsorg/backup-action@v1',
    ...overrides
  }
}

/** The YAML snippet of the summary, or undefined. */
function snippet(markdown: string): string | undefined {
  return /```yaml\n([\s\S]*?)```/.exec(markdown)?.[1]
}

describe('renderSummary', () => {
  it('shows the backup, server, size and time taken', () => {
    const markdown = renderSummary(report())
    expect(markdown).toContain('## ✅ VPS.org backup')
    expect(markdown).toContain('web-server-01 (12345)')
    expect(markdown).toContain('<td>502</td>')
    expect(markdown).toContain('4456 MB')
    expect(markdown).toContain('1m35s')
  })

  it('escapes HTML and Markdown in the description', () => {
    const description = '<script>alert(1)</script> | **bold** _em_ [x](javascript:alert(1))'
    const markdown = renderSummary(
      report({
        outcome: { backup: backup(502, { description }), status: 'completed', deleted: [] }
      })
    )
    expect(markdown).not.toContain('<script>')
    expect(markdown).not.toContain('**bold**')
    expect(markdown).not.toContain('| ')
    expect(markdown).not.toContain('](javascript')
    expect(markdown).toContain('&#60;script&#62;alert(1)&#60;/script&#62;')
    expect(markdown).toContain('&#124;')
    expect(markdown).toContain('&#42;&#42;bold&#42;&#42;')
  })

  it('keeps a description with blank lines, a heading and a link inside its table cell', () => {
    const description = 'ok\n\n# Heading\r\n\r\n[link](https://evil.example)\u2029## Two'
    const markdown = renderSummary(
      report({
        outcome: { backup: backup(502, { description }), status: 'completed', deleted: [] }
      })
    )
    const table = markdown.slice(markdown.indexOf('<table>'), markdown.indexOf('</table>'))
    expect(table).not.toMatch(/\n\s*\n/)
    expect(markdown).not.toMatch(/^#+ (Heading|Two)/m)
    expect(markdown).not.toContain('](')
    expect(table).toContain('<td>ok # Heading &#91;link&#93;(https://evil.example) ## Two</td>')
  })

  it('puts the failure and what is still running in HTML blocks, on one line each', () => {
    const markdown = renderSummary(
      report({
        outcome: { deleted: [], pending: 'still\n\n# going' },
        error: 'HTTP 400: x\n\n# Heading https://evil.example'
      })
    )
    expect(markdown).toContain(
      '<p><strong>Failed:</strong> HTTP 400: x # Heading https://evil.example</p>'
    )
    expect(markdown).toContain('<p><strong>Still running:</strong> still # going</p>')
    expect(markdown).not.toMatch(/^# /m)
  })

  it('shows at most 1000 characters of one value', () => {
    const markdown = renderSummary(
      report({
        outcome: {
          backup: backup(502, { description: 'é'.repeat(5000) }),
          status: 'x',
          deleted: []
        }
      })
    )
    expect(markdown).toContain(`<td>${'é'.repeat(999)}…</td>`)
  })

  it('escapes the server name and the error message too', () => {
    const markdown = renderSummary(
      report({
        outcome: {
          backup: backup(502, { server: { id: 12345, name: '<img src=x onerror=alert(1)>' } }),
          deleted: []
        },
        error: 'Could not list: HTTP 502: <html>**gateway**</html>'
      })
    )
    expect(markdown).not.toContain('<img')
    expect(markdown).not.toContain('<html>')
    expect(markdown).toContain('&#60;img src=x onerror=alert(1)&#62;')
  })

  it('shows the rollback snippet with the backup id once the backup has completed', () => {
    const yaml = snippet(renderSummary(report()))
    expect(yaml).toBeDefined()
    expect(yaml).toContain('- uses: vpsorg/backup-action@v1')
    expect(yaml).toContain('server_id: 12345')
    expect(yaml).toContain('mode: restore')
    expect(yaml).toContain('backup_id: 502')
    expect(yaml).toContain('${{ secrets.VPSORG_API_TOKEN }}')
  })

  it.each(['in_progress', 'failed'])('shows no rollback snippet for a backup %s', (status) => {
    const markdown = renderSummary(
      report({ outcome: { backup: backup(502, { status, size_mb: null }), status, deleted: [] } })
    )
    expect(snippet(markdown)).toBeUndefined()
    expect(markdown).not.toContain('backup_id: 502')
  })

  it('shows no rollback snippet in restore or delete mode', () => {
    for (const mode of ['restore', 'delete'] as const) {
      const markdown = renderSummary(report({ mode }))
      expect(snippet(markdown)).toBeUndefined()
    }
  })

  it('shows a failure with its message', () => {
    const markdown = renderSummary(
      report({
        outcome: { backup: backup(502, { status: 'failed' }), status: 'failed', deleted: [] },
        error: 'The backup 502 of server 12345 failed on VPS.org'
      })
    )
    expect(markdown).toContain('## ❌ VPS.org backup')
    expect(markdown).toContain(
      '<p><strong>Failed:</strong> The backup 502 of server 12345 failed on VPS.org</p>'
    )
  })

  it('shows a failure before any backup exists', () => {
    const markdown = renderSummary(
      report({
        outcome: { deleted: [] },
        error: "Input 'server_id' must be a positive whole number"
      })
    )
    expect(markdown).toContain('❌')
    expect(markdown).toContain('<td>12345</td>')
    expect(markdown).toContain('&#39;server&#95;id&#39;')
    expect(snippet(markdown)).toBeUndefined()
  })

  it('shows what is still running', () => {
    const pending = 'Backup 502 of server 12345 is still being created on VPS.org.'
    const markdown = renderSummary(
      report({
        outcome: {
          backup: backup(502, { status: 'in_progress', size_mb: null }),
          status: 'in_progress',
          pending,
          deleted: []
        }
      })
    )
    expect(markdown).toContain('## ⏳ VPS.org backup')
    expect(markdown).toContain(`\n</table>\n\n<p><strong>Still running:</strong> ${pending}</p>\n`)
    expect(markdown.endsWith(`<p><strong>Still running:</strong> ${pending}</p>\n`)).toBe(true)
    expect(markdown).toContain('<td>in&#95;progress</td>')
    expect(markdown).not.toContain('MB')
  })

  it('names the automatic rollback, the deleted backups and a reused backup', () => {
    const markdown = renderSummary(
      report({
        mode: 'restore',
        automatic: true,
        outcome: {
          backup: backup(),
          server: { id: 12345, name: 'web-server-01', status: 'active' },
          status: 'active',
          restored: true,
          reused: true,
          deleted: [499, 500]
        }
      })
    )
    expect(markdown).toContain('## ✅ Automatic rollback (rollback_on_failure)')
    expect(markdown).toContain('<td>499, 500</td>')
    expect(markdown).toContain('earlier attempt')
    expect(markdown).toContain('<td>active</td>')
    expect(markdown).toContain('<th align="left">Restored from backup</th><td>502</td>')
  })

  it('leaves out rows it has no value for', () => {
    const markdown = renderSummary(report({ mode: 'delete', outcome: { deleted: [] } }))
    expect(markdown).not.toContain('>Backup<')
    expect(markdown).not.toContain('>Size<')
    expect(markdown).not.toContain('>Deleted<')
    expect(markdown).not.toContain('undefined')
    expect(markdown).not.toContain('null')
  })

  it('reads the backup_id output of a step with an id, and names a non-default api_url', () => {
    const markdown = renderSummary(
      report({ stepId: 'backup', apiUrl: 'http://127.0.0.1:8080/api/v1' })
    )
    const yaml = snippet(markdown)
    expect(yaml).toContain("- if: failure() && steps.backup.outcome == 'success'")
    expect(yaml).toContain('  uses: vpsorg/backup-action@v1')
    expect(yaml).toContain('    api_url: http://127.0.0.1:8080/api/v1\n')
    expect(yaml).toContain('backup_id: ${{ steps.backup.outputs.backup_id }}')
    expect(markdown).toContain('`backup_id: 502`')
  })

  describe('with rollback_on_failure', () => {
    it('armed: says the post step restores automatically, and offers no rollback step', () => {
      const markdown = renderSummary(report({ stepId: 'backup', rollback: 'armed' }))
      expect(snippet(markdown)).toBeUndefined()
      expect(markdown).not.toContain('mode: restore')
      expect(markdown).toContain(
        "<p>Automatic (rollback_on_failure): if a later step of this job fails, this action's post step restores server 12345 from backup 502 and waits until it is active. Add no rollback step of your own for this job: it would restore a second time.</p>"
      )
    })

    it('armed, several servers: names each server with its backup', () => {
      const servers = new Map([
        [101, { backup: backup(501, { server: { id: 101, name: 'web-1' } }), deleted: [] }],
        [102, { backup: backup(502, { server: { id: 102, name: 'web-2' } }), deleted: [] }]
      ])
      const markdown = renderSummary(
        report({ serverIds: [101, 102], outcome: { deleted: [], servers }, rollback: 'armed' })
      )
      expect(snippet(markdown)).toBeUndefined()
      expect(markdown).toContain(
        'restores server 101 from backup 501, server 102 from backup 502 and waits until they are active'
      )
    })

    it('not armed (the step failed after its backup completed): says so, offers the ids', () => {
      const markdown = renderSummary(
        report({ stepId: 'backup', rollback: 'not armed', error: 'The workflow was cancelled.' })
      )
      expect(markdown).toContain('No automatic rollback: this step did not succeed')
      expect(markdown).not.toContain('Automatic (rollback_on_failure)')
      const yaml = snippet(markdown)
      expect(yaml).not.toContain('steps.')
      expect(yaml).toContain('backup_id: 502')
    })
  })

  it('a step that failed after its backup completed offers no step reading its outputs', () => {
    const markdown = renderSummary(report({ stepId: 'backup', error: 'Cancelled.' }))
    expect(markdown).not.toContain('No automatic rollback')
    const yaml = snippet(markdown)
    expect(yaml).not.toContain('steps.backup')
    expect(yaml).toContain('backup_id: 502')
  })

  it('scrubs the step’s secrets from every value it shows, in any encoding', () => {
    const secret = 'hunter2-health-password'
    const scrub = scrubberOf([secret, 'ghp_other_token_value'])
    const markdown = renderSummary(
      report({
        scrub,
        apiUrl: `https://proxy.example/${secret}/api/v1`,
        error: `TLS: certificate names ${Buffer.from(secret).toString('base64')} and ${encodeURIComponent(secret)}`,
        outcome: {
          backup: backup(502, { description: `about ${secret.toUpperCase()}` }),
          status: 'completed',
          deleted: [],
          pending: `ghp_other_token_value is running`,
          health: {
            rounds: 1,
            checks: [{ target: 'https://app.example/', lastAnswer: `200 ${secret}`, rounds: 1 }]
          }
        }
      })
    )
    expect(canonical(markdown).toLowerCase()).not.toContain(secret)
    expect(markdown).not.toContain('ghp_other_token_value')
    expect(markdown).toContain('&#42;&#42;&#42; is running')
  })

  it('leaves the default api_url out, and an id that is not a step id', () => {
    const yaml = snippet(
      renderSummary(report({ stepId: 'x}} ${{ evil', apiUrl: 'https://admin.vps.org/api/v1' }))
    )
    expect(yaml).not.toContain('api_url')
    expect(yaml).not.toContain('steps.')
    expect(yaml).toContain('backup_id: 502')
  })

  it('shows the failure alone when the inputs could not be read', () => {
    const markdown = renderSummary({
      outcome: { deleted: [] },
      elapsedMs: 0,
      actionRef: '',
      error: "Input 'mode' must be one of backup, restore (or rollback), delete"
    })
    expect(markdown).toBe(
      '## ❌ VPS.org Backup & Rollback\n\n<p><strong>Failed:</strong> Input &#39;mode&#39; must be one of backup, restore (or rollback), delete</p>\n'
    )
  })

  it('warns when the backup to delete was not found', () => {
    const markdown = renderSummary(
      report({ mode: 'delete', outcome: { status: 'not_found', deleted: [] } })
    )
    expect(markdown).toContain('## ⚠️ VPS.org backup deletion')
  })

  it('says "Restored from" only once this step restored the server', () => {
    const restore = (status: string, error?: string, restored?: boolean) =>
      renderSummary(
        report({
          mode: 'restore',
          error,
          outcome: { backup: backup(), status, restored, deleted: [] }
        })
      )
    expect(restore('active', undefined, true)).toContain('>Restored from backup<')
    // Restored, but the app is not healthy: the restore still happened.
    expect(restore('active', 'the app is not healthy', true)).toContain('>Restored from backup<')
    // Active, but no evidence of this restore (e.g. the request was refused).
    expect(restore('active', 'HTTP 409')).not.toContain('Restored from')
    expect(restore('error', "Server 12345 is 'error'")).not.toContain('Restored from')
    expect(restore('restoring')).not.toContain('Restored from')
    expect(restore('restoring')).toContain('<th align="left">Backup</th><td>502</td>')
  })
})

describe('renderSummary, the whole summary', () => {
  const row = (name: string, value: string) =>
    `<tr><th align="left">${name}</th><td>${value}</td></tr>`
  const rollback = [
    '### Roll back to this backup',
    '',
    'Add this step (or run it from a `workflow_dispatch` workflow) to restore the server to the state before the deploy:',
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
  ]

  it('one server: every row, the workflow run, the deployment, why it skipped, the rollback', () => {
    const markdown = renderSummary(
      report({
        outcome: {
          backup: backup(),
          status: 'completed',
          reused: true,
          deleted: [499, 500],
          run: { id: 9876543210, url: 'https://github.com/acme/shop/actions/runs/9876543210' },
          ledger: {
            environment: 'production',
            url: 'https://github.com/acme/shop/deployments/production',
            deploymentId: 77,
            state: 'success'
          },
          skipped: 'nothing <to> do'
        }
      })
    )
    expect(markdown).toBe(
      [
        '## ✅ VPS.org backup',
        '',
        '<table>',
        row('Server', 'web-server-01 (12345)'),
        row('Backup', '502'),
        row('Created', '2025-01-16T15:45:00Z'),
        row('Description', 'Pre-deployment backup &#91;gha:acme/shop#9876543210&#93;'),
        row('Size', '4456 MB'),
        row('Reused', 'yes: created by an earlier attempt of this run'),
        row('Backup status', 'completed'),
        row('Deleted', '499, 500'),
        row('Took', '1m35s'),
        row(
          'Workflow run',
          '<a href="https://github.com/acme/shop/actions/runs/9876543210">9876543210</a>'
        ),
        row(
          'Deployments',
          '<a href="https://github.com/acme/shop/deployments/production">production</a> (deployment 77: success)'
        ),
        '</table>',
        '',
        '<p><strong>Skipped:</strong> nothing &#60;to&#62; do</p>',
        '',
        ...rollback
      ].join('\n')
    )
  })

  it('a deployment without a state, and an environment without a deployment', () => {
    const ledger = { environment: 'prod', url: 'https://github.com/d' }
    const with77 = renderSummary(
      report({ outcome: { deleted: [], ledger: { ...ledger, deploymentId: 77 } } })
    )
    expect(with77).toContain(
      row('Deployments', '<a href="https://github.com/d">prod</a> (deployment 77)')
    )
    const without = renderSummary(report({ outcome: { deleted: [], ledger } }))
    expect(without).toContain(row('Deployments', '<a href="https://github.com/d">prod</a>'))
  })

  it('several servers: the step’s status and time, then one row per server', () => {
    const servers = new Map<number, Outcome>([
      [
        101,
        {
          backup: backup(501, { server: { id: 101, name: 'web-1' } }),
          status: 'completed',
          reused: true,
          deleted: [400],
          tookMs: 61_000
        }
      ],
      [
        102,
        {
          backup: backup(502, {
            server: { id: 102, name: 'web-2' },
            size_mb: null,
            status: 'failed'
          }),
          status: 'failed',
          deleted: [401]
        }
      ],
      [103, { deleted: [] }]
    ])
    const markdown = renderSummary(
      report({ serverIds: [101, 102, 103], error: 'boom', outcome: { deleted: [], servers } })
    )
    expect(markdown).toBe(
      [
        '## ❌ VPS.org backup of 3 servers',
        '',
        '<table>',
        row('Deleted', '400, 401'),
        row('Took', '1m35s'),
        '</table>',
        '',
        '<table>',
        '<tr><th align="left">Server</th><th align="left">Backup</th><th align="left">Status</th><th align="left">Size</th><th align="left">Took</th></tr>',
        '<tr><td>web-1 (101)</td><td>501 (reused)</td><td>completed</td><td>4456 MB</td><td>1m1s</td></tr>',
        '<tr><td>web-2 (102)</td><td>502</td><td>failed</td><td></td><td></td></tr>',
        '<tr><td>103</td><td></td><td></td><td></td><td></td></tr>',
        '</table>',
        '',
        '<p><strong>Failed:</strong> boom</p>',
        '',
        '<p><strong>Kept:</strong> the completed backups (server 101: backup 501) are valid restore points and are kept. To delete them:</p>',
        '',
        '```yaml',
        '- uses: vpsorg/backup-action@v1',
        '  with:',
        '    api_token: ${{ secrets.VPSORG_API_TOKEN }}',
        '    server_id: 101',
        '    mode: delete',
        `    backup_id: '{"101":501}'`,
        '```',
        ''
      ].join('\n')
    )
  })

  it('several servers, a dry run of a restore: its status, data-loss windows, the step', () => {
    const restoring = (id: number, server: number, dataLoss: string): Outcome => ({
      backup: backup(id, { server: { id: server, name: `web-${server}` } }),
      status: 'dry_run',
      deleted: [],
      dataLoss
    })
    const servers = new Map<number, Outcome>([
      [101, restoring(501, 101, 'Server 101 loses <1h>')],
      [102, restoring(502, 102, 'Server 102 loses 2h')]
    ])
    const markdown = renderSummary(
      report({
        mode: 'restore',
        serverIds: [101, 102],
        apiUrl: 'http://127.0.0.1:8080/api/v1',
        outcome: { deleted: [], servers, dryRun: true }
      })
    )
    expect(markdown).toBe(
      [
        '## ✅ VPS.org restore of 2 servers',
        '',
        '<table>',
        row('Status', 'dry&#95;run'),
        row('Took', '1m35s'),
        '</table>',
        '',
        '<table>',
        '<tr><th align="left">Server</th><th align="left">Restored from backup</th><th align="left">Status</th><th align="left">Size</th><th align="left">Took</th></tr>',
        '<tr><td>web-101 (101)</td><td>501</td><td>dry&#95;run</td><td>4456 MB</td><td></td></tr>',
        '<tr><td>web-102 (102)</td><td>502</td><td>dry&#95;run</td><td>4456 MB</td><td></td></tr>',
        '</table>',
        '',
        '<p><strong>Data-loss window:</strong><br>Server 101 loses &#60;1h&#62;<br>Server 102 loses 2h</p>',
        '',
        '### Dry run: nothing was restored',
        '',
        '<p>Every check a real run makes passed. A real run of this step (dry&#95;run: false) would restore server 101 from backup 501, server 102 from backup 502 (what each restore throws away: the data-loss window). The step that would do it, pinned to the backups found:</p>',
        '',
        '```yaml',
        '- uses: vpsorg/backup-action@v1',
        '  with:',
        '    api_token: ${{ secrets.VPSORG_API_TOKEN }}',
        '    api_url: http://127.0.0.1:8080/api/v1',
        '    server_id: 101, 102',
        '    mode: restore',
        `    backup_id: '{"101":501,"102":502}'`,
        '```',
        ''
      ].join('\n')
    )
  })

  it('titles each mode, and names the status row of a step that is not a backup "Status"', () => {
    const one = { backup: backup(), status: 'active', deleted: [] }
    expect(renderSummary(report({ mode: 'restore', outcome: one }))).toContain(
      '## ✅ VPS.org restore\n\n<table>\n'
    )
    expect(renderSummary(report({ mode: 'restore', outcome: one }))).toContain(
      row('Status', 'active')
    )
    expect(renderSummary(report({ mode: 'delete', outcome: one }))).toContain(
      '## ✅ VPS.org backup deletion\n'
    )
    const verify = renderSummary(
      report({ mode: 'verify', serverIds: [], outcome: { status: 'healthy', deleted: [] } })
    )
    expect(verify).toBe(
      [
        '## ✅ App health check',
        '',
        '<table>',
        row('Status', 'healthy'),
        row('Took', '1m35s'),
        '</table>',
        ''
      ].join('\n')
    )
  })

  it('leaves out an empty or null value, and names the backup of a step that restored nothing "Backup"', () => {
    const markdown = renderSummary(
      report({
        outcome: {
          backup: backup(502, {
            created_at: '',
            description: null,
            server: { id: 12345, name: '' }
          }),
          status: 'completed',
          restored: true,
          deleted: []
        }
      })
    )
    expect(markdown).toContain(
      [
        '<table>',
        row('Server', '12345'),
        row('Backup', '502'),
        row('Size', '4456 MB'),
        row('Backup status', 'completed'),
        row('Took', '1m35s'),
        '</table>'
      ].join('\n')
    )
  })

  it('a verify step without server_id shows no server row', () => {
    const markdown = renderSummary({
      mode: 'verify',
      outcome: { status: 'healthy', deleted: [] },
      elapsedMs: 1000,
      actionRef: 'vpsorg/backup-action@v1'
    })
    expect(markdown).toBe(
      [
        '## ✅ App health check',
        '',
        '<table>',
        row('Status', 'healthy'),
        row('Took', '1s'),
        '</table>',
        ''
      ].join('\n')
    )
  })

  it('inputs that could not be read, and no message: an empty failure line', () => {
    expect(renderSummary({ outcome: { deleted: [] }, elapsedMs: 0, actionRef: '' })).toBe(
      '## ❌ VPS.org Backup & Rollback\n\n<p><strong>Failed:</strong> </p>\n'
    )
  })

  it('one server without a name shows its id alone', () => {
    const markdown = renderSummary(report({ mode: 'delete', outcome: { deleted: [501] } }))
    expect(markdown).toBe(
      [
        '## ✅ VPS.org backup deletion',
        '',
        '<table>',
        row('Server', '12345'),
        row('Deleted', '501'),
        row('Took', '1m35s'),
        '</table>',
        ''
      ].join('\n')
    )
  })

  it('a restore with app checks and a watch: the health section, then the watch', () => {
    const markdown = renderSummary(
      report({
        mode: 'restore',
        outcome: {
          backup: backup(),
          status: 'active',
          restored: true,
          deleted: [],
          health: {
            healthy: true,
            rounds: 1,
            checks: [
              {
                target: 'https://app.example/',
                lastAnswer: 'HTTP 200',
                rounds: 1,
                healthyAfterMs: 0
              }
            ],
            watch: { ms: 60_000, rounds: 2, failedRounds: 0, ended: true }
          }
        }
      })
    )
    expect(markdown).toContain(
      [
        '</table>',
        '',
        '### App health',
        '',
        '**Outcome:** restored and healthy',
        '',
        '<table>',
        '<tr><th align="left">Check</th><th align="left">Last answer</th><th align="left">Rounds</th><th align="left">Healthy after</th></tr>',
        '<tr><td>https://app.example/</td><td>HTTP 200</td><td>1</td><td>0s</td></tr>',
        '</table>',
        '',
        '<p><strong>Watch (health_watch):</strong> stayed healthy through the 1m watch; 2 rounds, 0 failing.</p>',
        ''
      ].join('\n')
    )
  })
})

describe('renderHealth', () => {
  it('shows nothing before the checks start', () => {
    expect(renderHealth('restore', { deleted: [], restored: true })).toEqual([])
  })

  it('one row per check: target, last answer, rounds, and when it became healthy', () => {
    const outcome: Outcome = {
      deleted: [],
      restored: true,
      health: {
        healthy: false,
        rounds: 3,
        checks: [
          {
            target: 'https://app.example/health',
            lastAnswer: 'HTTP 200',
            rounds: 3,
            healthyAfterMs: 12_000
          },
          { target: 'tcp://db|x', lastAnswer: 'refused', rounds: 2 }
        ]
      }
    }
    expect(renderHealth('restore', outcome, scrubberOf(['refused']))).toEqual([
      '### App health',
      '',
      '**Outcome:** restored but not healthy: the app needs attention',
      '',
      '<table>',
      '<tr><th align="left">Check</th><th align="left">Last answer</th><th align="left">Rounds</th><th align="left">Healthy after</th></tr>',
      '<tr><td>https://app.example/health</td><td>HTTP 200</td><td>3</td><td>12s</td></tr>',
      '<tr><td>tcp://db&#124;x</td><td>&#42;&#42;&#42;</td><td>2</td><td>not healthy</td></tr>',
      '</table>',
      ''
    ])
  })
})

describe('healthOutcome', () => {
  const health = (healthy?: boolean) => ({ healthy, rounds: 1, checks: [] })

  it('verify: healthy, not healthy, or not checked to the end', () => {
    expect(healthOutcome('verify', { deleted: [], health: health(true) })).toBe('healthy')
    expect(healthOutcome('verify', { deleted: [], health: health(false) })).toBe(
      'not healthy: this step fails'
    )
    expect(healthOutcome('verify', { deleted: [], health: health() })).toBe(
      'not checked to the end'
    )
    expect(healthOutcome('verify', { deleted: [] })).toBe('not checked to the end')
  })

  it('restore: not restored, still restoring, restored and healthy or not, or unknown', () => {
    expect(healthOutcome('restore', { deleted: [], status: 'error', health: health(true) })).toBe(
      'not restored'
    )
    expect(healthOutcome('restore', { deleted: [], status: 'restoring' })).toBe(
      'restore still running: the app was not checked'
    )
    const restored = (h?: boolean) =>
      healthOutcome('restore', { deleted: [], restored: true, health: health(h) })
    expect(restored(true)).toBe('restored and healthy')
    expect(restored(false)).toBe('restored but not healthy: the app needs attention')
    expect(restored()).toBe('restored, app health unknown: the checks did not end')
    expect(healthOutcome('restore', { deleted: [], restored: true })).toBe(
      'restored, app health unknown: the checks did not end'
    )
  })
})

describe('the ledger (environment) in the job summary', () => {
  const ledger = {
    environment: 'prod <b>|x',
    url: 'https://github.com/acme/shop/deployments/prod%20%3Cb%3E%7Cx',
    deploymentId: 1001,
    state: 'in_progress'
  }
  const render = (extra: Partial<Outcome>) =>
    renderSummary(
      report({ outcome: { backup: backup(), status: 'completed', deleted: [], ...extra } })
    )

  it("links to the environment's deployments, escaped, with this step's deployment", () => {
    expect(render({ ledger })).toContain(
      '<tr><th align="left">Deployments</th><td><a href="https://github.com/acme/shop/deployments/prod%20%3Cb%3E%7Cx">prod &#60;b&#62;&#124;x</a> (deployment 1001: in&#95;progress)</td></tr>'
    )
  })

  it('without a deployment, the link alone; without environment, nothing', () => {
    expect(render({ ledger: { environment: ledger.environment, url: ledger.url } })).toContain(
      '&#124;x</a></td></tr>'
    )
    expect(render({})).not.toContain('Deployments')
  })
})

describe('the heading names the mode', () => {
  it.each([
    ['backup', 'VPS.org backup'],
    ['restore', 'VPS.org restore'],
    ['delete', 'VPS.org backup deletion'],
    ['verify', 'App health check']
  ] as const)('%s: %s', (mode, title) => {
    expect(renderSummary(report({ mode })).split('\n')[0]).toBe(`## ✅ ${title}`)
  })
})
