import { runBackup } from '../../src/modes/backup.js'
import { pruneAfter } from '../../src/modes/retention.js'
import type { ServerRuntime } from '../../src/runtime/runtime.js'
import { BACKUPS } from './api.js'
import { RUN } from './fake-runtime.js'
import { STEP } from './run-context.js'
import type { InProcessApi } from './vpsorg.js'

/** Descriptions of backups the modes' tests list, and what run() does in a backup step. */

/** A backup another repository's workflow run made. */
export const foreign = (run = '1111'): string => `Pre-deployment backup [gha:other/shop#${run}]`

/** The description attempt `attempt` of step `step` of this run wrote. */
export const earlier = (attempt = 1, step = STEP, nonce = 'aaaaaaa1'): string =>
  `Pre-deployment backup [gha:acme/shop#${RUN}/${attempt}/${step}/${nonce}]`

/** The API lists backup `id` with this created_at (one that is not a date-time, say). */
export const listCreatedAt = (api: InProcessApi, id: number, createdAt: string): void => {
  api.hook = (call, fake) => {
    const reply = fake.handle(call)
    if (call.method !== 'GET' || call.url.pathname !== BACKUPS) return reply
    const page = reply.body as { results: Array<{ id: number; created_at: string }> }
    for (const b of page.results) if (b.id === id) b.created_at = createdAt
    return reply
  }
}

/** What run() does in a backup step: the backup, then (completed, keep_backups) the prune. */
export async function backupThenPrune(rt: ServerRuntime): Promise<void> {
  await runBackup(rt, [rt])
  const own = rt.outcome.backup
  if (own?.status === 'completed' && rt.settings.keepBackups > 0) await pruneAfter(rt, own)
}
