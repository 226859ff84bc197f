import { describe, expect, it } from 'vitest'
import type { Report } from '../../../src/report/report.js'
import { renderSummary } from '../../../src/report/summary.js'
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
    expect(markdown).toContain(`<p><strong>Still running:</strong> ${pending}</p>`)
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
