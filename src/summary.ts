import { formatDuration } from './duration.js'
import { DEFAULT_API_URL, type Mode } from './inputs.js'
import type { Outcome } from './runtime.js'
import { oneLine } from './untrusted.js'

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

/** The most characters of one value the summary shows. */
const MAX_VALUE = 1000

/**
 * Escapes text for the HTML blocks the job summary is made of: on one line (a blank line would
 * end the block and let Markdown through), at most MAX_VALUE characters, and no character that
 * is markup or Markdown.
 */
export function escapeHtml(text: string): string {
  const chars = [...oneLine(text)]
  const line =
    chars.length > MAX_VALUE ? `${chars.slice(0, MAX_VALUE - 1).join('')}…` : chars.join('')
  return line.replace(/[&<>"'`|*_[\]\\]/g, (c) => `&#${c.charCodeAt(0)};`)
}

const TITLES: Record<Mode, string> = {
  backup: 'VPS.org backup',
  restore: 'VPS.org restore',
  delete: 'VPS.org backup deletion',
  verify: 'App health check'
}

/** The job summary, written once when the step ends. Every value from outside is escaped. */
export function renderSummary(report: Report): string {
  const { outcome, mode, serverId } = report
  // The inputs could not be read: the failure is all there is to show.
  if (!mode) {
    return `## ❌ VPS.org Backup & Rollback\n\n<p><strong>Failed:</strong> ${escapeHtml(report.error ?? '')}</p>\n`
  }
  const { backup, server } = outcome
  const serverName = server?.name ?? backup?.server.name
  const title = report.automatic ? 'Automatic rollback (rollback_on_failure)' : TITLES[mode]
  const restored = mode === 'restore' && outcome.restored === true
  const rows: Array<[string, string | number | undefined | null]> = [
    // verify mode may have no server (0).
    ['Server', serverName ? `${serverName} (${serverId})` : serverId || undefined],
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
  if (outcome.run) {
    const { id, url } = outcome.run
    lines.push(
      `<tr><th align="left">Workflow run</th><td><a href="${escapeHtml(url)}">${id}</a></td></tr>`
    )
  }
  lines.push('</table>', '')
  // HTML blocks, not Markdown paragraphs: GitHub makes no links or emphasis inside them.
  if (report.error) lines.push(`<p><strong>Failed:</strong> ${escapeHtml(report.error)}</p>`, '')
  if (outcome.skipped) {
    lines.push(`<p><strong>Skipped:</strong> ${escapeHtml(outcome.skipped)}</p>`, '')
  }
  if (outcome.pending) {
    lines.push(`<p><strong>Still running:</strong> ${escapeHtml(outcome.pending)}</p>`, '')
  }
  lines.push(...renderHealth(mode, outcome))
  if (mode === 'backup' && backup?.status === 'completed') {
    lines.push(...rollbackSnippet(report, backup.id))
  }
  return lines.join('\n')
}

/** The outcome in words, for a restore or verify step that had app checks. */
export function healthOutcome(mode: Mode, outcome: Outcome): string {
  const healthy = outcome.health?.healthy
  if (mode === 'verify') {
    if (healthy === undefined) return 'not checked to the end'
    return healthy ? 'healthy' : 'not healthy: a person is needed now'
  }
  if (!outcome.restored) {
    return outcome.status === 'restoring'
      ? 'restore still running: the app was not checked'
      : 'not restored'
  }
  if (healthy === undefined) return 'restored, app health unknown: the checks did not end'
  return healthy ? 'restored and healthy' : 'restored but not healthy: a person is needed now'
}

/** The app checks: each check's target (no user-info), last answer, rounds, time to healthy. */
export function renderHealth(mode: Mode, outcome: Outcome): string[] {
  const { health } = outcome
  if (!health) return []
  const lines = [
    '### App health',
    '',
    `**Outcome:** ${escapeHtml(healthOutcome(mode, outcome))}`,
    '',
    '<table>',
    '<tr><th align="left">Check</th><th align="left">Last answer</th><th align="left">Rounds</th><th align="left">Healthy after</th></tr>'
  ]
  for (const check of health.checks) {
    const cells = [
      check.target,
      check.lastAnswer,
      String(check.rounds),
      check.healthyAfterMs === undefined ? 'not healthy' : formatDuration(check.healthyAfterMs)
    ]
    lines.push(`<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
  }
  lines.push('</table>', '')
  return lines
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
