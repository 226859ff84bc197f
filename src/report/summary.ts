import { formatDuration } from '../common/duration.js'
import { DEFAULT_API_URL, type Mode } from '../inputs/inputs.js'
import { byServer, pendingOf, perServer, stepStatus } from '../runtime/fleet.js'
import type { Outcome } from '../runtime/outcome.js'
import { type Scrub, oneLine } from '../common/untrusted.js'
import { renderDataLoss } from './data-loss.js'
import { renderDryRun } from './dry-run.js'
import { renderWatch } from './watch.js'

export interface Report {
  /** Undefined when the inputs could not be read: the summary then shows the failure alone. */
  mode?: Mode
  /** The servers of server_id (verify: maybe none). */
  serverIds?: readonly number[]
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
  /**
   * A backup step with rollback_on_failure: whether it armed the post step's automatic rollback
   * (it does only when it succeeded). Undefined without rollback_on_failure.
   */
  rollback?: 'armed' | 'not armed'
  /** Removes the step's secrets from every value shown (untrusted.ts scrubberOf). */
  scrub?: Scrub
}

/** The most characters of one value the summary shows. */
const MAX_VALUE = 1000

/**
 * Escapes text for the HTML blocks the job summary is made of: scrubbed of the step's secrets, on
 * one line (a blank line would end the block and let Markdown through), at most MAX_VALUE
 * characters, and no character that is markup or Markdown.
 */
export function escapeHtml(text: string, scrub: Scrub = (t) => t): string {
  const chars = [...oneLine(scrub(text))]
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

/**
 * After a backup step: the rollback snippet when every backup completed; when some did and the
 * step failed, that they are kept and how to delete them.
 */
function backupsNote(report: Report, servers: ReadonlyArray<[number, Outcome]>): string[] {
  const completed = new Map(
    servers.flatMap(([id, o]): Array<[number, number]> =>
      o.backup?.status === 'completed' ? [[id, o.backup.id]] : []
    )
  )
  if (completed.size === servers.length) {
    if (report.rollback === 'armed') return automaticRollback(completed)
    const unarmed =
      report.rollback === 'not armed'
        ? [
            '<p>No automatic rollback: this step did not succeed, so its post step restores nothing.</p>',
            ''
          ]
        : []
    return [...unarmed, ...rollbackSnippet(report, completed)]
  }
  if (!completed.size) return []
  const each = [...completed].map(([id, backup]) => `server ${id}: backup ${backup}`).join(', ')
  return [
    `<p><strong>Kept:</strong> ${escapeHtml(`the completed backups (${each}) are valid restore points and are kept. To delete them:`, report.scrub)}</p>`,
    '',
    '```yaml',
    ...actionStep(report, [...completed.keys()], 'delete', `'${byServer(completed)}'`),
    '```',
    ''
  ]
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

/** The `with:` lines of a step of this action on `servers`, after its `uses:` line. */
export function actionStep(
  report: Report,
  servers: readonly number[],
  mode: 'restore' | 'delete',
  backupId: string,
  uses = `- uses: ${report.actionRef}`
): string[] {
  const { apiUrl, scrub = (t: string) => t } = report
  return [
    uses,
    '  with:',
    '    api_token: ${{ secrets.VPSORG_API_TOKEN }}',
    ...(apiUrl && apiUrl !== DEFAULT_API_URL
      ? [`    api_url: ${scrub(apiUrl).replace(/[^\w.:/%@~+-]/g, '')}`]
      : []),
    `    server_id: ${servers.join(', ')}`,
    `    mode: ${mode}`,
    `    backup_id: ${backupId}`
  ]
}

/**
 * rollback_on_failure armed the post step: it restores the servers when a later step of the job
 * fails. No rollback step is offered: following it would restore them twice.
 */
function automaticRollback(backups: ReadonlyMap<number, number>): string[] {
  const one = backups.size === 1
  const each = [...backups].map(([server, backup]) => `server ${server} from backup ${backup}`)
  return [
    `### Roll back to ${one ? 'this backup' : 'these backups'}`,
    '',
    `<p>Automatic (rollback_on_failure): if a later step of this job fails, this action's post step restores ${each.join(', ')} and waits until ${one ? 'it is' : 'they are'} active. Add no rollback step of your own for this job: it would restore a second time.</p>`,
    ''
  ]
}

/**
 * The step that restores the servers to the state before the deploy, ready to paste: after the
 * deploy in this job, reading this step's output, when the step has an id and succeeded (a step
 * that failed has no outcome 'success' to test); else with the ids.
 */
function rollbackSnippet(report: Report, backups: ReadonlyMap<number, number>): string[] {
  const { stepId } = report
  const step = stepId && !report.error && /^[A-Za-z_][\w-]*$/.test(stepId) ? stepId : undefined
  const servers = [...backups.keys()]
  const one = servers.length === 1
  const output = one ? 'backup_id' : 'backup_ids'
  const literal = one ? String(backups.get(servers[0]!)) : `'${byServer(backups)}'`
  const them = one ? 'the server' : 'the servers'
  return [
    `### Roll back to ${one ? 'this backup' : 'these backups'}`,
    '',
    step
      ? `Add this step after the deploy: it restores ${them} to the state before the deploy when the deploy fails.`
      : `Add this step (or run it from a \`workflow_dispatch\` workflow) to restore ${them} to the state before the deploy:`,
    '',
    '```yaml',
    ...(step
      ? [
          `- if: failure() && steps.${step}.outcome == 'success'`,
          ...actionStep(
            report,
            servers,
            'restore',
            `\${{ steps.${step}.outputs.${output} }}`,
            `  uses: ${report.actionRef}`
          )
        ]
      : actionStep(report, servers, 'restore', literal)),
    '```',
    '',
    ...(step
      ? [
          `From another workflow (\`workflow_dispatch\`, say), restore with \`backup_id: ${literal}\`.`,
          ''
        ]
      : [])
  ]
}
