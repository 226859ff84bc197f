import { recordStepRestored } from '../runtime/outcome.js'
import type { Backup } from '../vpsorg/api-types.js'
import type { Prober } from '../health/probing.js'
import type { BackupMap, RunRef } from '../inputs/settings.js'
import { serverRuntimes, settle, valuesOf } from '../runtime/fleet.js'
import { type Runtime, type ServerRuntime, USER_AGENT } from '../runtime/runtime.js'
import { runBackup } from './backup.js'
import { runDelete } from './delete.js'
import { pruneAfter } from './retention.js'
import { resolveRunBackups } from './run-reference.js'

/**
 * Runs the step's mode (`rt.settings.target`), for each of its servers (fleet.ts); the post step's
 * automatic rollback is a restore (post.ts). `backedUp` writes the outputs: a backup step calls it
 * once every backup has completed, before its best-effort prune (report/ending.ts).
 *
 * Restore's, the health checks' and the summary's modules are loaded when a step needs them: a
 * backup, the step on every deploy's path, compiles none of them before its first request. The
 * GitHub API reads (`run:<run_id>`) are not split off: importing @actions/github from a lazily
 * loaded chunk would move it, and Octokit, out of the entry's top-level code into a module
 * function V8 parses twice (`npm run bench`).
 */
export async function runMode(rt: Runtime, backedUp: () => void): Promise<void> {
  const { settings, outcome } = rt
  const { target } = settings
  const prober = async (): Promise<Prober> =>
    (await import('../health/probe.js')).createProber({
      dispatcher: rt.dispatcher,
      userAgent: USER_AGENT,
      contains: settings.health.contains
    })
  // verify checks the app alone: it acts on no server.
  if (target.mode === 'verify') {
    return (await import('../health/health.js')).checkHealth(rt, await prober())
  }
  const servers = serverRuntimes(rt)
  switch (target.mode) {
    case 'backup':
      await runBackup(rt, servers)
      return afterBackup(rt, servers, backedUp)
    case 'restore': {
      const refs = await backupsOf(rt, servers, target.backupId, target.mode)
      if (refs === undefined) return
      const { planHealthChecks, checkHealth } = await import('../health/health.js')
      // A dry run restores nothing: it checks no app.
      if (!settings.dryRun) planHealthChecks(outcome, settings.health.checks)
      const { runRestore } = await import('./restore.js')
      const backups = await runRestore(rt, servers, refs as Array<number | 'latest'>)
      // A step of several servers is restored when each of them is (one server: already said).
      recordStepRestored(
        outcome,
        servers.map((s) => s.outcome)
      )
      if (outcome.restored) {
        await checkHealth(rt, await prober(), restoredFrom(servers, backups))
      }
      return
    }
    case 'delete': {
      const ids = await backupsOf(rt, servers, target.backupId, target.mode)
      return ids === undefined
        ? undefined
        : runDelete(rt, servers, ids as Array<number | undefined>)
    }
  }
}

/**
 * Once every backup has completed: the outputs, then the best-effort prune of each server
 * (keep_backups). Nothing is pruned unless every server's backup completed: the newest restore
 * point of the whole fleet may be an older run's. The automatic rollback is armed after this
 * (post.ts), once the step has succeeded.
 */
async function afterBackup(
  rt: Runtime,
  servers: readonly ServerRuntime[],
  backedUp: () => void
): Promise<void> {
  const { settings } = rt
  const completed = servers.every((s) => s.outcome.backup?.status === 'completed')
  if (settings.rollbackOnFailure && !completed) {
    rt.log.warning('rollback_on_failure needs a completed backup: set wait: true.')
  }
  if (!completed || settings.keepBackups === 0) return
  // The backups are safe and said so before the best-effort prune.
  backedUp()
  await rt.log.group('Prune older backups', async () => {
    valuesOf(await settle(servers, (s) => pruneAfter(s, s.outcome.backup!)), () => 'pruned')
  })
}

/**
 * Each server's backup_id: the id; `latest`; its entry in the backup_ids object; or the backup a
 * workflow run made (`run:<run_id>`, read when needed). Undefined: nothing to do (the run never
 * changed the servers). A server's undefined entry: delete found none of that run's.
 */
async function backupsOf(
  rt: Runtime,
  servers: readonly ServerRuntime[],
  backupId: number | 'latest' | RunRef | BackupMap,
  mode: 'restore' | 'delete'
): Promise<Array<number | 'latest' | undefined> | undefined> {
  if (backupId instanceof Map) return servers.map((s) => backupId.get(s.serverId))
  if (typeof backupId !== 'object') return servers.map(() => backupId)
  return resolveRunBackups(rt, servers, backupId as RunRef, mode)
}

/** What the servers were restored from, for a health failure's line. */
function restoredFrom(servers: readonly ServerRuntime[], backups: readonly Backup[]): string {
  if (servers.length === 1) {
    return `Server ${servers[0]!.serverId} was restored from backup ${backups[0]!.id} and is active`
  }
  const each = servers.map((s, i) => `${s.serverId} from backup ${backups[i]!.id}`)
  return `Servers ${each.join(', ')} were restored and are active`
}
