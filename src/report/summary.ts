import { formatDuration } from '../common/duration.js'
import type { Mode } from '../inputs/settings.js'
import type { Scrub } from '../common/untrusted.js'
import { pendingOf, perServer, stepStatus } from '../runtime/fleet.js'
import type { LedgerReport, Outcome } from '../runtime/outcome.js'
import { renderDataLoss } from './data-loss.js'
import { renderDryRun } from './dry-run.js'
import { escapeHtml } from './html.js'
import type { Report } from './report.js'
import { backupsNote } from './rollback.js'
import { renderWatch } from './watch.js'

const TITLES: Record<Mode, string> = {
  backup: 'VPS.org backup',
  restore: 'VPS.org restore',
  delete: 'VPS.org backup deletion',
  verify: 'App health check'
}

/** The job summary, written once when the step ends. Every value from outside is escaped. */
export function renderSummary(report: Report): string {
  const { outcome, mode, serverIds = [], scrub } = report
  const escape = (text: string): string => escapeHtml(text, scrub)
  // The inputs could not be read: the failure is all there is to show.
  if (!mode) {
    return `## ❌ VPS.org Backup & Rollback\n\n<p><strong>Failed:</strong> ${escape(report.error ?? '')}</p>\n`
  }
  const servers = perServer(outcome, serverIds)
  const pending = pendingOf(outcome)
  const status = stepStatus(outcome)
  const title = report.automatic ? 'Automatic rollback (rollback_on_failure)' : TITLES[mode]
  const icon = report.error ? '❌' : pending ? '⏳' : status === 'not_found' ? '⚠️' : '✅'
  const several = servers.length > 1
  const lines = [
    `## ${icon} ${title}${several ? ` of ${servers.length} servers` : ''}`,
    '',
    '<table>'
  ]
  const rows = several ? fleetRows(report, status) : serverRows(report, servers[0]!)
  for (const [name, value] of rows) {
    if (value !== undefined && value !== null && value !== '') {
      lines.push(`<tr><th align="left">${name}</th><td>${escape(String(value))}</td></tr>`)
    }
  }
  if (outcome.run) {
    const { id, url } = outcome.run
    lines.push(
      `<tr><th align="left">Workflow run</th><td><a href="${escape(url)}">${id}</a></td></tr>`
    )
  }
  if (outcome.ledger) lines.push(ledgerRow(outcome.ledger, escape))
  lines.push('</table>', '')
  if (several) lines.push(...serverTable(report, servers))
  lines.push(...renderDataLoss(outcome, serverIds, scrub), ...renderDryRun(report, servers))
  // HTML blocks, not Markdown paragraphs: GitHub makes no links or emphasis inside them.
  if (report.error) lines.push(`<p><strong>Failed:</strong> ${escape(report.error)}</p>`, '')
  if (outcome.skipped) {
    lines.push(`<p><strong>Skipped:</strong> ${escape(outcome.skipped)}</p>`, '')
  }
  if (pending) lines.push(`<p><strong>Still running:</strong> ${escape(pending)}</p>`, '')
  lines.push(...renderHealth(mode, outcome, scrub), ...renderWatch(outcome.health, scrub))
  if (mode === 'backup') lines.push(...backupsNote(report, servers))
  return lines.join('\n')
}

type Row = [string, string | number | undefined | null]

/** The deploy ledger (environment): a link to the environment's deployments, and this step's. */
function ledgerRow(ledger: LedgerReport, escape: (text: string) => string): string {
  const { environment, url, deploymentId, state } = ledger
  const deployment = deploymentId
    ? ` (deployment ${deploymentId}${state ? `: ${escape(state)}` : ''})`
    : ''
  return `<tr><th align="left">Deployments</th><td><a href="${escape(url)}">${escape(environment)}</a>${deployment}</td></tr>`
}

/** One server's step: the rows as they have always been. */
function serverRows(report: Report, [serverId, outcome]: [number, Outcome]): Row[] {
  const { backup, server } = outcome
  const { mode } = report
  const serverName = server?.name ?? backup?.server.name
  const restored = mode === 'restore' && outcome.restored === true
  return [
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
}

/** A step of several servers: what holds for all of them; each one's row follows (serverTable). */
function fleetRows(report: Report, status: string | undefined): Row[] {
  const { outcome } = report
  const deleted = [...outcome.servers!.values()].flatMap((o) => o.deleted)
  return [
    ['Status', status],
    ['Deleted', deleted.length ? deleted.join(', ') : undefined],
    ['Took', formatDuration(report.elapsedMs)]
  ]
}

/** One row per server: id and name, backup, status, size, and how long its work took. */
function serverTable(report: Report, servers: ReadonlyArray<[number, Outcome]>): string[] {
  const restore = report.mode === 'restore'
  const head = ['Server', restore ? 'Restored from backup' : 'Backup', 'Status', 'Size', 'Took']
  const lines = ['<table>', `<tr>${head.map((h) => `<th align="left">${h}</th>`).join('')}</tr>`]
  for (const [id, o] of servers) {
    const name = o.server?.name ?? o.backup?.server.name
    const cells = [
      name ? `${name} (${id})` : String(id),
      o.backup ? `${o.backup.id}${o.reused ? ' (reused)' : ''}` : '',
      o.status ?? '',
      o.backup?.size_mb == null ? '' : `${o.backup.size_mb} MB`,
      o.tookMs === undefined ? '' : formatDuration(o.tookMs)
    ]
    lines.push(
      `<tr>${cells.map((cell) => `<td>${escapeHtml(cell, report.scrub)}</td>`).join('')}</tr>`
    )
  }
  lines.push('</table>', '')
  return lines
}

/** The outcome in words, for a restore or verify step that had app checks. */
export function healthOutcome(mode: Mode, outcome: Outcome): string {
  const healthy = outcome.health?.healthy
  if (mode === 'verify') {
    if (healthy === undefined) return 'not checked to the end'
    return healthy ? 'healthy' : 'not healthy: this step fails'
  }
  if (!outcome.restored) {
    return outcome.status === 'restoring'
      ? 'restore still running: the app was not checked'
      : 'not restored'
  }
  if (healthy === undefined) return 'restored, app health unknown: the checks did not end'
  return healthy ? 'restored and healthy' : 'restored but not healthy: the app needs attention'
}

/** The app checks: each check's target (no user-info), last answer, rounds, time to healthy. */
export function renderHealth(mode: Mode, outcome: Outcome, scrub?: Scrub): string[] {
  const { health } = outcome
  if (!health) return []
  const lines = [
    '### App health',
    '',
    `**Outcome:** ${escapeHtml(healthOutcome(mode, outcome), scrub)}`,
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
    lines.push(`<tr>${cells.map((cell) => `<td>${escapeHtml(cell, scrub)}</td>`).join('')}</tr>`)
  }
  lines.push('</table>', '')
  return lines
}
