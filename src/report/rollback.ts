import { DEFAULT_API_URL } from '../inputs/settings.js'
import { byServer } from '../runtime/fleet.js'
import type { Outcome } from '../runtime/outcome.js'
import { escapeHtml } from './html.js'
import type { Report } from './report.js'

/*
 * The job summary's notes after a backup step (summary.ts): how to roll back to its backups, or,
 * when some completed and the step failed, that they are kept and how to delete them.
 */

/**
 * After a backup step: the rollback snippet when every backup completed; when some did and the
 * step failed, that they are kept and how to delete them.
 */
export function backupsNote(report: Report, servers: ReadonlyArray<[number, Outcome]>): string[] {
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
