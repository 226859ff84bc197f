import { afterEach, describe, expect, it } from 'vitest'
import { runRestore } from '../../../src/modes/restore.js'
import { RESTORE } from '../../helpers/api.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import type { MemoryLogger } from '../../helpers/memory-logger.js'
import { rejection } from '../../helpers/rejection.js'
import { type InProcessApi, connectionReset } from '../../helpers/vpsorg.js'

/** How runRestore follows the server (follow-server.ts): waits, looks and the grace of a restore not seen. */

afterEach(closeAgents)

describe('long waits', () => {
  /** The progress lines of the log: what waitFor writes when a minute would pass in silence. */
  const progress = (log: MemoryLogger) => log.of('info').filter((l) => l.startsWith('Waiting for'))

  it('say where a restore stands at least once a minute', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.restoreDurationMs = 6 * 60_000
    await runRestore(rt, [rt], [501])
    const lines = progress(log)
    expect(lines.length).toBeGreaterThanOrEqual(5)
    expect(lines[0]).toMatch(/^Waiting for server 12345 .*: restoring, .* elapsed, next check in /)
  })
})

describe('runRestore, following the server', () => {
  it('waits out a restore already running, saying so once and while it lasts', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.startOtherRestore(501, 90_000)
    await runRestore(rt, [rt], [501])
    const info = log.of('info')
    expect(
      info.filter((l) => l === 'Server 12345 is already restoring; waiting for that to end first.')
    ).toHaveLength(1)
    expect(
      info.some((l) =>
        l.startsWith('Waiting for the restore already running on server 12345 to end:')
      )
    ).toBe(true)
  })

  it('times its looks from the request, not from the step’s start', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '540' })
    const ready = clock.now() + 20 * 60_000
    api.addBackup({ id: 540, status: 'in_progress', durationMs: ready - clock.now() })
    await runRestore(rt, [rt], [540])
    const requested = api.made('POST', RESTORE)[0]!.at
    expect(requested).toBeLessThanOrEqual(ready + 2 * 60_000)
    expect(clock.now() - requested).toBeLessThanOrEqual(api.restoreDurationMs * 1.1 + 2000)
  })

  it('a queued restore seen under way and ended within the grace is done when it ends', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // Accepted, queued for 30 s, then 10 s of restoring.
    api.options.restoreQueueMs = 30_000
    api.restoreDurationMs = 10_000
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(clock.now() - start).toBeLessThan(55_000)
    expect(log.text()).not.toContain('was not seen restoring')
  })

  it('a restore never seen under way counts as done exactly when the grace ends', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501' })
    rt.policy = () => 10_000
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'POST' ? { status: 202, body: { detail: 'Done quickly.' } } : undefined
    await runRestore(rt, [rt], [501])
    const requested = api.made('POST', RESTORE)[0]!.at
    expect(clock.now() - requested).toBe(60_000)
    expect(log.of('info')).toContain(
      'Server 12345 is active and was not seen restoring within 1m of the request: the restore ran between two looks.'
    )
  })
})

describe('after a lost answer, the watch for a queued restore', () => {
  const lose = (api: InProcessApi): void => {
    api.hook = (call, fake) => {
      if (call.method !== 'POST') return undefined
      fake.handle(call)
      throw connectionReset()
    }
  }

  it('ends as soon as the restore is seen under way: one that ends within the grace is restored', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // Queued 20 s, then 10 s of restoring: over before the 60 s grace ends.
    api.options.restoreQueueMs = 20_000
    api.restoreDurationMs = 10_000
    lose(api)
    await runRestore(rt, [rt], [501])
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(rt.outcome.restored).toBe(true)
  })

  it('says what it watches for while it lasts, then sends again once the grace has passed', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // The first request never reached the API: nothing starts, and the watch lasts its whole grace.
    api.hook = (call, fake) => {
      if (call.method === 'POST' && fake.made('POST', RESTORE).length === 1) throw connectionReset()
      return undefined
    }
    await runRestore(rt, [rt], [501])
    expect(
      log
        .of('info')
        .some((l) =>
          l.startsWith(
            "Waiting for server 12345 to start a restore whose request's answer was lost: active, "
          )
        )
    ).toBe(true)
    expect(api.made('POST', RESTORE)).toHaveLength(2)
  })

  it('is not waited for when updated_at has moved: the outcome is unknown at once', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (call, fake) => {
      if (call.method !== 'POST') return undefined
      fake.model.touchServers()
      throw connectionReset()
    }
    const start = clock.now()
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error.message).toContain('is unknown')
    expect(clock.now() - start).toBeLessThan(10_000)
  })
})
