import { byServer } from '../runtime/fleet.js'
import type { Outcome } from '../runtime/outcome.js'
import { escapeHtml } from './html.js'
import type { Report } from './report.js'
import { actionStep } from './rollback.js'

/**
 * A dry run's summary: that nothing was changed, what a real run would do, and the step that
 * would do it, pinned to the backups the dry run found (`latest` or `run:<run_id>` may find
 * others later).
 */
export function renderDryRun(report: Report, servers: ReadonlyArray<[number, Outcome]>): string[] {
  const { mode, outcome } = report
  if (!outcome.dryRun || (mode !== 'restore' && mode !== 'delete')) return []
  const done = mode === 'restore' ? 'restored' : 'deleted'
  const lines = [`### Dry run: nothing was ${done}`, '']
  const would = new Map(
    servers.flatMap(([id, o]): Array<[number, number]> =>
      o.status === 'dry_run' && o.backup ? [[id, o.backup.id]] : []
    )
  )
  if (!would.size) return lines
  const each = [...would]
    .map(
      ([server, backup]) =>
        `server ${server}${mode === 'restore' ? ' from ' : ': '}backup ${backup}`
    )
    .join(', ')
  const what =
    mode === 'restore'
      ? `restore ${each} (what each restore throws away: the data-loss window)`
      : `delete ${each}`
  const one = would.size === 1
  const backupId = one ? String([...would.values()][0]) : `'${byServer(would)}'`
  return [
    ...lines,
    `<p>${escapeHtml(`Every check a real run makes passed. A real run of this step (dry_run: false) would ${what}. The step that would do it, pinned to the ${one ? 'backup' : 'backups'} found:`, report.scrub)}</p>`,
    '',
    '```yaml',
    ...actionStep(report, [...would.keys()], mode, backupId),
    '```',
    ''
  ]
}
