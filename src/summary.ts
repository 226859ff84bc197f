import { formatDuration } from './duration.js'
import type { Mode } from './inputs.js'
import type { Outcome } from './runtime.js'

export interface Report {
  mode: Mode
  serverId: number
  outcome: Outcome
  elapsedMs: number
  /** The failure's message; undefined on success. */
  error?: string
  /** The post step's automatic rollback. */
  automatic?: boolean
  /** `owner/repo@ref` to show in the rollback snippet. */
  actionRef: string
}

/** Escapes text for the HTML the job summary is made of: no markup or Markdown gets through. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`|*_[\]\\]/g, (c) => `&#${c.charCodeAt(0)};`)
}

const TITLES: Record<Mode, string> = {
  backup: 'VPS.org backup',
  restore: 'VPS.org restore',
  delete: 'VPS.org backup deletion'
}

/** The job summary, written once when the step ends. Every value from outside is escaped. */
export function renderSummary(report: Report): string {
  const { outcome, mode, serverId } = report
  const { backup, server } = outcome
  const serverName = server?.name ?? backup?.server.name
  const title = report.automatic ? 'Automatic rollback (rollback_on_failure)' : TITLES[mode]
  const rows: Array<[string, string | number | undefined | null]> = [
    ['Server', serverName ? `${serverName} (${serverId})` : serverId],
    [mode === 'restore' ? 'Restored from backup' : 'Backup', backup?.id],
    ['Created', backup?.created_at],
    ['Description', backup?.description],
    ['Size', backup?.size_mb == null ? undefined : `${backup.size_mb} MB`],
    ['Reused', outcome.reused ? 'yes: created by an earlier attempt of this run' : undefined],
    [mode === 'backup' ? 'Backup status' : 'Status', outcome.status],
    ['Deleted', outcome.deleted.length ? outcome.deleted.join(', ') : undefined],
    ['Took', formatDuration(report.elapsedMs)]
  ]
  const icon = report.error ? '❌' : outcome.pending ? '⏳' : '✅'
  const lines = [`## ${icon} ${title}`, '', '<table>']
  for (const [name, value] of rows) {
    if (value !== undefined && value !== null && value !== '') {
      lines.push(`<tr><th align="left">${name}</th><td>${escapeHtml(String(value))}</td></tr>`)
    }
  }
  if (outcome.run) {
    const { id, url } = outcome.run
    lines.push(
      `<tr><th align="left">Workflow run</th><td><a href="${escapeHtml(url)}">${id}</a></td></tr>`
    )
  }
  lines.push('</table>', '')
  if (report.error) lines.push(`**Failed:** ${escapeHtml(report.error)}`, '')
  if (outcome.skipped) lines.push(`**Skipped:** ${escapeHtml(outcome.skipped)}`, '')
  if (outcome.pending) lines.push(`**Still running:** ${escapeHtml(outcome.pending)}`, '')
  if (mode === 'backup' && backup?.status === 'completed') {
    lines.push(
      '### Roll back to this backup',
      '',
      'Add this step (or run it from a `workflow_dispatch` workflow) to restore the server to the state before the deploy:',
      '',
      '```yaml',
      `- uses: ${report.actionRef}`,
      '  with:',
      '    api_token: ${{ secrets.VPSORG_API_TOKEN }}',
      `    server_id: ${serverId}`,
      '    mode: restore',
      `    backup_id: ${backup.id}`,
      '```',
      ''
    )
  }
  return lines.join('\n')
}
