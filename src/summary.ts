import { formatDuration } from './duration.js'
import { DEFAULT_API_URL, type Mode } from './inputs.js'
import type { Outcome } from './runtime.js'

export interface Report {
  /** Undefined when the inputs could not be read: the summary then shows the failure alone. */
  mode?: Mode
  serverId?: number
  /** What the step learned; its `pending` is what is still running on VPS.org, if anything. */
  outcome: Outcome
  elapsedMs: number
  /** The failure's message; undefined on success. */
  error?: string
  /** The post step's automatic rollback. */
  automatic?: boolean
  /** `owner/repo@ref` to show in the rollback snippet. */
  actionRef: string
  /** The API base URL, for the rollback snippet, when it is not the default. */
  apiUrl?: string
  /** The step's `id`, when the user gave one: the snippet then reads its `backup_id` output. */
  stepId?: string
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
  // The inputs could not be read: the failure is all there is to show.
  if (!mode)
    return `## ❌ VPS.org Backup & Rollback\n\n**Failed:** ${escapeHtml(report.error ?? '')}\n`
  const { backup, server } = outcome
  const serverName = server?.name ?? backup?.server.name
  const title = report.automatic ? 'Automatic rollback (rollback_on_failure)' : TITLES[mode]
  const restored = mode === 'restore' && !report.error && outcome.status === 'active'
  const rows: Array<[string, string | number | undefined | null]> = [
    ['Server', serverName ? `${serverName} (${serverId})` : serverId],
    [restored ? 'Restored from backup' : 'Backup', backup?.id],
    ['Created', backup?.created_at],
    ['Description', backup?.description],
    ['Size', backup?.size_mb == null ? undefined : `${backup.size_mb} MB`],
    ['Reused', outcome.reused ? 'yes: created by an earlier attempt of this run' : undefined],
    [mode === 'backup' ? 'Backup status' : 'Status', outcome.status],
    ['Deleted', outcome.deleted.length ? outcome.deleted.join(', ') : undefined],
    ['Took', formatDuration(report.elapsedMs)]
  ]
  const icon = report.error
    ? '❌'
    : outcome.pending
      ? '⏳'
      : outcome.status === 'not_found'
        ? '⚠️'
        : '✅'
  const lines = [`## ${icon} ${title}`, '', '<table>']
  for (const [name, value] of rows) {
    if (value !== undefined && value !== null && value !== '') {
      lines.push(`<tr><th align="left">${name}</th><td>${escapeHtml(String(value))}</td></tr>`)
    }
  }
  lines.push('</table>', '')
  if (report.error) lines.push(`**Failed:** ${escapeHtml(report.error)}`, '')
  if (outcome.pending) lines.push(`**Still running:** ${escapeHtml(outcome.pending)}`, '')
  if (mode === 'backup' && backup?.status === 'completed') {
    lines.push(...rollbackSnippet(report, backup.id))
  }
  return lines.join('\n')
}

/**
 * The step that restores the server to the state before the deploy, ready to paste: after the
 * deploy in this job, reading this step's output, when the step has an id; else with the id.
 */
function rollbackSnippet(report: Report, backupId: number): string[] {
  const { stepId, apiUrl } = report
  const step = stepId && /^[A-Za-z_][\w-]*$/.test(stepId) ? stepId : undefined
  const uses = `uses: ${report.actionRef}`
  return [
    '### Roll back to this backup',
    '',
    step
      ? 'Add this step after the deploy: it restores the server to the state before the deploy when the deploy fails.'
      : 'Add this step (or run it from a `workflow_dispatch` workflow) to restore the server to the state before the deploy:',
    '',
    '```yaml',
    ...(step
      ? [`- if: failure() && steps.${step}.outcome == 'success'`, `  ${uses}`]
      : [`- ${uses}`]),
    '  with:',
    '    api_token: ${{ secrets.VPSORG_API_TOKEN }}',
    ...(apiUrl && apiUrl !== DEFAULT_API_URL
      ? [`    api_url: ${apiUrl.replace(/[^\w.:/%@~+-]/g, '')}`]
      : []),
    `    server_id: ${report.serverId}`,
    '    mode: restore',
    `    backup_id: ${step ? `\${{ steps.${step}.outputs.backup_id }}` : backupId}`,
    '```',
    '',
    ...(step
      ? [
          `From another workflow (\`workflow_dispatch\`, say), restore with \`backup_id: ${backupId}\`.`,
          ''
        ]
      : [])
  ]
}
