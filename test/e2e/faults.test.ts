import { describe, expect, it } from 'vitest'
import type { Fault, Simulator } from '../../simulator/server.js'
import type { StepResult } from '../../scripts/local-runner.js'
import { recorder } from '../../scripts/fault-matrix.js'
import {
  SERVER_ID,
  backupPosts,
  errorLine,
  restorePosts,
  currentTest,
  simulator,
  step
} from './fixture.js'

/*
 * Every fault the simulator injects, end to end through dist/index.js against the simulator. Each backup-mode
 * test checks that exactly one backup exists afterwards and that it is the `backup_id` output.
 * The steps are recorded for the fault matrix (scripts/fault-matrix.ts, RELIABILITY.md).
 */

const FILE = 'test/e2e/faults.test.ts'
const BACKUPS = '/api/v1/backups/'
const RESTORE = `/api/v1/servers/${SERVER_ID}/restore/`
const { sim, run } = recorder(FILE, {
  simulator,
  step,
  currentTest
})

/** A simulator that answers the next `times` requests of `method` to `path` with `fault`. */
async function faulted(method: string, path: string, fault: Fault, times = 1): Promise<Simulator> {
  const s = await sim()
  s.inject({ method, path, fault, times })
  return s
}

/** Exactly one backup exists, deleted ones included, and it is the step's output. */
function expectOneBackup(s: Simulator, result: StepResult): number {
  const backups = s.backups({ includeDeleted: true })
  expect(backups).toHaveLength(1)
  const id = backups[0]!.id
  expect(result.outputs.backup_id).toBe(String(id))
  return id
}

/** The delays, in seconds, of the retries the log announces. */
function retryDelays(result: StepResult): number[] {
  return [
    ...result.log.matchAll(/Retrying in ([\d.]+)s(?: \(attempt \d of 5\)|, as the API asked)/g)
  ].map((m) => Number(m[1]))
}

describe('ambiguous create: the answer to POST /backups/ is lost', () => {
  it('drop-after (created, answer lost): lists, adopts the backup, creates no duplicate', async () => {
    const s = await faulted('POST', BACKUPS, { kind: 'drop-after' })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    const id = expectOneBackup(s, result)
    expect(backupPosts(s)).toBe(1)
    expect(result.log).toContain(`adopting backup ${id} instead of creating a duplicate`)
    expect(result.outputs.status).toBe('completed')
  })

  it('drop-after, and the reconciling list fails once too: still exactly one backup', async () => {
    let injected = false
    const s: Simulator = await sim({
      log: (line) => {
        if (!injected && line.startsWith(`POST ${BACKUPS}`)) {
          injected = true
          s.inject({
            method: 'GET',
            path: BACKUPS,
            fault: { kind: 'status', status: 503, body: '' }
          })
        }
      }
    })
    s.inject({ method: 'POST', path: BACKUPS, fault: { kind: 'drop-after' } })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(backupPosts(s)).toBe(1)
    expect(result.log).toMatch(/HTTP 503: Service Unavailable\. Retrying in/)
  })

  it('drop (not created): the retry creates it, once', async () => {
    const s = await faulted('POST', BACKUPS, { kind: 'drop' })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(backupPosts(s)).toBe(2)
    expect(result.log).toMatch(/Could not create a backup .*network error.*\. Retrying in/)
    expect(result.log).not.toContain('adopting backup')
  })

  // The per-request timeout is min(30 s, a third of the time left) (src/client.ts), so with
  // `timeout: 8s` a hung create is abandoned after about 2.6 s and reconciled well within the step
  // (a budget of the whole time left would never retry it; a fractional one AbortSignal.timeout()
  // refuses).
  it('hang-after (created, never answered): the request times out, is retried, the backup adopted', async () => {
    const s = await faulted('POST', BACKUPS, { kind: 'hang-after' })
    const result = await run(s, { timeout: '8s' })
    expect(result.log).toMatch(/Could not create a backup .*no answer within .*\. Retrying in/)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(backupPosts(s)).toBe(1)
    expect(result.durationMs).toBeLessThan(10_000)
  })
})

describe('429 Too Many Requests', () => {
  it('Retry-After in seconds: waits that long, retries, creates one backup', async () => {
    const s = await faulted('POST', BACKUPS, {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '1', 'content-type': 'application/json' },
      body: '{"detail": "Request was throttled. Expected available in 1 second."}'
    })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(result.log).toContain(
      `Could not create a backup of server ${SERVER_ID}: HTTP 429: Request was throttled. Expected available in 1 second. Retrying in 1s, as the API asked (Retry-After)`
    )
    const throttled = s.requests.findIndex((r) => r.status === 429)
    expect(s.requests[throttled + 1]!.at - s.requests[throttled]!.at).toBeGreaterThanOrEqual(1000)
  })

  it('Retry-After as an HTTP date: retries no earlier than that date', async () => {
    const s = await sim()
    const date = new Date(Math.ceil((Date.now() + 2500) / 1000) * 1000)
    s.inject({
      method: 'POST',
      path: BACKUPS,
      fault: { kind: 'status', status: 429, headers: { 'retry-after': date.toUTCString() } }
    })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    const [delay] = retryDelays(result)
    expect(delay).toBeLessThanOrEqual(3.5) // it waits until the date, not longer
    expect(result.log).toMatch(
      /HTTP 429: Too Many Requests\. Retrying in [\d.]+s, as the API asked \(Retry-After\)/
    )
    const throttled = s.requests.findIndex((r) => r.status === 429)
    expect(s.requests[throttled + 1]!.at).toBeGreaterThanOrEqual(date.getTime())
  })

  it('without Retry-After: backs off (0.5 to 1 s for the first retry) and retries', async () => {
    const s = await faulted('POST', BACKUPS, { kind: 'status', status: 429 })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    const delays = retryDelays(result)
    expect(delays).toHaveLength(1)
    expect(delays[0]).toBeGreaterThanOrEqual(0.5)
    expect(delays[0]).toBeLessThanOrEqual(1)
    expect(backupPosts(s)).toBe(2)
  })
})

describe('5xx from the API or from a proxy in front of it', () => {
  const html = (status: number, title: string): string =>
    `<!DOCTYPE html>\n<html><head><title>${status} ${title}</title></head>\n<body><h1>${title}</h1><hr>nginx</body></html>`
  const cases: Array<[number, string]> = [
    [500, 'Internal Server Error'],
    [502, 'Bad Gateway'],
    [503, 'Service Unavailable'],
    [504, 'Gateway Timeout']
  ]

  it.each(cases)('%i with an HTML body (list): retried, one backup', async (status, title) => {
    const s = await faulted('GET', BACKUPS, {
      kind: 'status',
      status,
      headers: { 'content-type': 'text/html' },
      body: html(status, title)
    })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(result.log).toContain(
      `HTTP ${status}: ${title} (an HTML page titled "${status} ${title}", likely from a proxy or load balancer). Retrying in`
    )
  })

  it.each(cases)('%i with an empty body (create): retried, one backup', async (status, title) => {
    const s = await faulted('POST', BACKUPS, { kind: 'status', status, body: '' })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(result.log).toContain(`HTTP ${status}: ${title}. Retrying in`)
    expect(backupPosts(s)).toBe(2)
  })

  it('a persistent 503: gives up after 5 attempts, naming HTTP 503', async () => {
    // Retry-After: 0 takes the backoff out of the test's time: only the attempt cap stops it.
    const s = await faulted(
      'GET',
      BACKUPS,
      {
        kind: 'status',
        status: 503,
        headers: { 'retry-after': '0' },
        body: '<html><title>Service Unavailable</title></html>'
      },
      Infinity
    )
    const result = await run(s)
    expect(result.exitCode).toBe(1)
    expect(s.countRequests('GET', BACKUPS)).toBe(5)
    expect(backupPosts(s)).toBe(0)
    expect(s.backups()).toHaveLength(0)
    expect(errorLine(result)).toMatch(
      new RegExp(
        `^Could not list the backups of server ${SERVER_ID}: HTTP 503: Service Unavailable`
      )
    )
    expect(retryDelays(result)).toEqual([0, 0, 0, 0])
    expect(result.log).toContain('(attempt 5 of 5)')
  })

  it('a persistent 503 with backoff: stops within the timeout, attempts bounded', async () => {
    const s = await faulted('GET', BACKUPS, { kind: 'status', status: 503, body: '' }, Infinity)
    const result = await run(s, { timeout: '5s' })
    expect(result.exitCode).toBe(1)
    const attempts = s.countRequests('GET', BACKUPS)
    expect(attempts).toBeGreaterThanOrEqual(2)
    expect(attempts).toBeLessThanOrEqual(5)
    expect(errorLine(result)).toContain('HTTP 503: Service Unavailable')
    expect(result.durationMs).toBeLessThan(5000 + 2000)
    expect(s.backups()).toHaveLength(0)
  })
})

describe('transport faults', () => {
  it('connection reset on the list: retried, one backup', async () => {
    const s = await faulted('GET', BACKUPS, { kind: 'drop' })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(result.log).toMatch(/Could not list the backups .*network error.*\. Retrying in/)
  })

  it('a hung list within a short overall timeout: times out, retried, succeeds', async () => {
    const s = await faulted('GET', BACKUPS, { kind: 'hang' })
    const result = await run(s, { timeout: '8s' })
    expect(result.log).toMatch(/Could not list the backups .*no answer within .*\. Retrying in/)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it('an API that never answers: the step ends at its timeout, in one line', async () => {
    const s = await faulted('GET', BACKUPS, { kind: 'hang' }, Infinity)
    const result = await run(s, { timeout: '3s' })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(
      new RegExp(`^Could not list the backups of server ${SERVER_ID}: no answer within [\\d.]+s$`)
    )
    expect(result.durationMs).toBeLessThan(3000 + 2000)
    expect(s.backups()).toHaveLength(0)
  })

  it('a slow trickle of the list and of the create answer: waited for, not retried', async () => {
    const s = await faulted('GET', BACKUPS, { kind: 'trickle', chunkBytes: 8, intervalMs: 60 })
    s.inject({
      method: 'POST',
      path: BACKUPS,
      fault: { kind: 'trickle', chunkBytes: 32, intervalMs: 40 }
    })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(backupPosts(s)).toBe(1)
    expect(result.log).not.toContain('Retrying in')
  })

  it('a slow answer (2 s delay): waited for, not retried', async () => {
    const s = await faulted('GET', BACKUPS, { kind: 'delay', ms: 2000 })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(result.log).not.toContain('Retrying in')
  })

  it('invalid JSON in a 200 on the list: retried, one backup', async () => {
    const s = await faulted('GET', BACKUPS, { kind: 'invalid-json' })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(result.log).toContain(
      `Could not list the backups of server ${SERVER_ID}: HTTP 200 with a body that is not JSON. Retrying in`
    )
  })

  it.each([
    ['huge (64 MiB)', 64 * 1024 * 1024],
    ['endless', 1e15]
  ])('a %s body: fails cleanly at the size cap, in one line, no retry', async (_, bytes) => {
    const s = await faulted('GET', BACKUPS, { kind: 'huge', bytes })
    const result = await run(s)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toBe(
      `Could not list the backups of server ${SERVER_ID}: the answer was larger than 4194304 bytes`
    )
    expect(s.countRequests('GET', BACKUPS)).toBe(1)
    expect(s.backups()).toHaveLength(0)
    expect(result.durationMs).toBeLessThan(8000)
  })
})

describe('client errors are never retried', () => {
  it.each([
    [
      400,
      'POST',
      BACKUPS,
      '{"description": ["Ensure this field has no more than 255 characters."]}',
      'HTTP 400: description: Ensure this field has no more than 255 characters.'
    ],
    [401, 'GET', BACKUPS, '{"detail": "Invalid token."}', 'HTTP 401: Invalid token.'],
    [
      403,
      'POST',
      BACKUPS,
      '{"detail": "You do not have permission to perform this action."}',
      'HTTP 403: You do not have permission to perform this action.'
    ],
    [404, 'GET', BACKUPS, '{"detail": "Not found."}', 'HTTP 404: Not found.']
  ])('%i on %s %s: one request, fails naming it', async (status, method, path, body, text) => {
    const s = await faulted(method, path, { kind: 'status', status, body }, Infinity)
    const result = await run(s)
    expect(result.exitCode).toBe(1)
    expect(s.countRequests(method, path)).toBe(1)
    expect(errorLine(result)).toContain(text)
    expect(result.log).not.toContain('Retrying in')
    expect(s.backups()).toHaveLength(0)
  })

  it.each([
    [400, '{"backup_id": ["A valid integer is required."]}'],
    [403, '{"detail": "You do not have permission to perform this action."}'],
    [404, '{"detail": "Not found."}']
  ])('%i on the restore request: sent once, no restore', async (status, body) => {
    const s = await sim()
    const backup = s.addBackup({ serverId: SERVER_ID, description: 'nightly' })
    s.inject({
      method: 'POST',
      path: RESTORE,
      times: Infinity,
      fault: { kind: 'status', status, body }
    })
    const result = await run(s, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(1)
    expect(restorePosts(s)).toBe(1)
    expect(s.restores).toHaveLength(0)
    expect(errorLine(result)).toContain(`HTTP ${status}`)
  })
})

describe('redirects', () => {
  it.each([
    [302, 'GET'],
    [307, 'POST'],
    [308, 'GET']
  ])(
    'a %i on %s to another origin is not followed: the token goes nowhere else',
    async (status, method) => {
      const s = await sim()
      const decoy = await simulator({ host: '127.0.0.2' })
      s.inject({
        method,
        path: BACKUPS,
        fault: {
          kind: 'redirect',
          status,
          location: `${decoy.url}/backups/?server_id=${SERVER_ID}`
        }
      })
      const result = await run(s)
      expect(result.exitCode).toBe(1)
      expect(decoy.requests).toHaveLength(0)
      expect(s.countRequests(method, BACKUPS)).toBe(1)
      const line = errorLine(result)
      expect(line).toContain(`HTTP ${status} with a redirect to ${decoy.origin}`)
      expect(line).toContain('redirects are not followed')
      expect(s.backups()).toHaveLength(0)
    }
  )

  it('a redirect to an unreachable address (http://127.0.0.2:9/) is not followed either', async () => {
    const s = await sim()
    s.inject({
      method: 'GET',
      path: BACKUPS,
      fault: { kind: 'redirect', location: 'http://127.0.0.2:9/' }
    })
    const result = await run(s)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain(
      'redirect to http://127.0.0.2:9/; redirects are not followed so that the token is only sent to api_url'
    )
    expect(s.requests).toHaveLength(1)
  })
})

describe('restore answered ambiguously: never a second restore while the first may run', () => {
  it('drop-after on the restore request: the server is restoring, so it is not sent again', async () => {
    const s = await sim({ restoreDurationMs: 3000 })
    const backup = s.addBackup({ serverId: SERVER_ID, description: 'nightly' })
    s.inject({ method: 'POST', path: RESTORE, fault: { kind: 'drop-after' } })
    const result = await run(s, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(0)
    expect(s.restores).toHaveLength(1)
    expect(restorePosts(s)).toBe(1)
    expect(result.log).toMatch(/carried out although its answer was lost/)
    expect(result.outputs).toMatchObject({ backup_id: String(backup.id), status: 'active' })
    expect(s.server(SERVER_ID).status).toBe('active')
  })

  // The API may have accepted and queued the restore: the server is watched for it to start for
  // the 60 s grace an accepted restore gets, and only then is the request sent again. The two
  // ways the watch ends early, end to end: the queued restore starts (here), the timeout comes
  // (below). The way it ends at the grace, sending again once, takes 60 s of real time here, so
  // it is pinned on the fake clock instead: test/unit/modes/modes.test.ts › "after a lost answer
  // on an untouched server, sends again only once the grace has passed" (and the grace's length by
  // restore-mutants.test.ts › "a restore never seen under way counts as done exactly when the
  // grace ends").
  it('a lost answer to a restore the API queued (server untouched): watched until it starts, not sent again', async () => {
    // Restoring for longer than the watch's 2 s between looks, so that it is seen under way.
    const s = await sim({ restoreQueueMs: 3000, restoreDurationMs: 4000 })
    const backup = s.addBackup({ serverId: SERVER_ID, description: 'nightly' })
    s.inject({ method: 'POST', path: RESTORE, fault: { kind: 'drop-after' } })
    const result = await run(s, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(0)
    expect(restorePosts(s)).toBe(1)
    expect(s.restores).toHaveLength(1)
    expect(result.log).toMatch(/carried out although its answer was lost/)
    // Read idle (still queued) after the lost answer, then watched until seen restoring.
    expect(result.log).toMatch(
      new RegExp(`Server ${SERVER_ID}: active \\([^)]*\\)\\n[^]*Server ${SERVER_ID}: restoring`)
    )
    expect(result.outputs).toMatchObject({ backup_id: String(backup.id), status: 'active' })
  })

  it('a 503 on the restore request (not carried out), the timeout before the grace ends: not sent again, outcome unknown', async () => {
    const s = await sim()
    const backup = s.addBackup({ serverId: SERVER_ID, description: 'nightly' })
    s.inject({ method: 'POST', path: RESTORE, fault: { kind: 'status', status: 503, body: '' } })
    const result = await run(s, { mode: 'restore', backup_id: String(backup.id), timeout: '5s' })
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(/HTTP 503: Service Unavailable\. Checking the server again in/)
    expect(errorLine(result)).toContain('the timeout came before the grace had passed')
    expect(restorePosts(s)).toBe(1)
    expect(s.restores).toHaveLength(0)
    // Watched until the timeout, not given up at the first look.
    const post = s.requests.find((r) => r.method === 'POST' && r.path === RESTORE)!
    const reads = s.requests.filter(
      (r) => r.method === 'GET' && r.path === `/api/v1/servers/${SERVER_ID}/`
    )
    expect(reads.filter((r) => r.at > post.at).length).toBeGreaterThanOrEqual(2)
  })

  // A restore that has already ended when the server is read again (the backoff is 0.5 to 1 s; a
  // small server restores fast) shows `active` again, with a moved `updated_at`: that may be this
  // restore or anything else, so the outcome is unknown. Never a second restore, never "restored".
  it('drop-after, and the restore ends before the next status read: not sent again, outcome unknown', async () => {
    let skew = -10_000 // the server was last updated 10 s before the test, so updated_at moves
    const s = await sim({ restoreDurationMs: 200, now: () => Date.now() + skew })
    skew = 0
    const backup = s.addBackup({ serverId: SERVER_ID, description: 'nightly' })
    s.inject({ method: 'POST', path: RESTORE, fault: { kind: 'drop-after' } })
    const result = await run(s, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain('is unknown')
    expect(s.restores).toHaveLength(1)
    expect(restorePosts(s)).toBe(1)
  })
})

/*
 * Issue 9: restore points that must never be deleted, restores reported that never happened, and
 * backups a step took for its own. The matrix counts every deletion that was not the step's own,
 * final and older backup.
 */
const ISSUE9_RUN = '9876543210'
/** A description this action wrote for acme/shop in run `run` (v1.0.0 form). */
const ours = (run: string | number): string =>
  `Pre-deployment backup of acme/shop (run ${run}) [gha:acme/shop#${run}]`
/** Backups 400, 401, … of `count` earlier runs, ours, completed a minute ago, oldest first. */
const addOurBackups = (s: Simulator, count: number) => {
  for (let i = 0; i < count; i++) {
    s.addBackup({
      serverId: SERVER_ID,
      id: 400 + i,
      description: ours(i),
      createdAt: Date.now() - 60_000 + i
    })
  }
}
const warnings = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning::'))
/** Backup 400, ours (an earlier run's), completed a minute ago. */
const addOurOldBackup = (s: Simulator) =>
  s.addBackup({
    serverId: SERVER_ID,
    id: 400,
    description: ours(1),
    createdAt: Date.now() - 60_000
  })
/** The API changes the server's updated_at on its own, before every read of it. */
const touchServers = (s: Simulator): void =>
  s.inject({
    path: `/api/v1/servers/${SERVER_ID}/`,
    fault: { kind: 'touch-servers' },
    times: Infinity
  })

describe('restore points that are not the step’s own, final and older are never deleted', () => {
  it.each(['pending', 'queued', 'creating'])(
    'keep_backups spares an own older backup whose status is %s',
    async (status) => {
      const s = await sim()
      addOurOldBackup(s)
      s.addBackup({
        serverId: SERVER_ID,
        id: 401,
        description: ours(2),
        status: 'in_progress',
        runningStatus: status,
        durationMs: 600_000,
        createdAt: Date.now() - 30_000
      })
      const result = await run(s, { keep_backups: '1' })
      expect(result.exitCode).toBe(0)
      expect(s.backups().map((b) => b.id)).toContain(401)
      expect(s.countRequests('DELETE', `${BACKUPS}401/`)).toBe(0)
      expect(s.backups({ includeDeleted: true }).find((b) => b.id === 400)!.deleted).toBe(true)
    }
  )

  it('keep_backups spares an own backup newer than the step’s (a concurrent run’s)', async () => {
    let added = false
    const s: Simulator = await sim({
      log: (line) => {
        if (!added && line.startsWith(`POST ${BACKUPS} -> 201`)) {
          added = true
          s.addBackup({
            serverId: SERVER_ID,
            id: 9000,
            description: ours(2),
            createdAt: Date.now()
          })
        }
      }
    })
    addOurOldBackup(s)
    const result = await run(s, { keep_backups: '1' })
    expect(result.exitCode).toBe(0)
    expect(s.backups().map((b) => b.id)).toContain(9000)
    expect(s.backups().map((b) => b.id)).not.toContain(400)
  })

  it('at the cap, a 400 that is not the cap deletes nothing and fails', async () => {
    const s = await sim()
    addOurBackups(s, 10)
    s.inject({
      method: 'POST',
      path: BACKUPS,
      fault: {
        kind: 'status',
        status: 400,
        body: '{"description": ["Ensure this field has no more than 255 characters."]}'
      }
    })
    const result = await run(s, { keep_backups: '3' })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain('description: Ensure this field')
    expect(s.countRequests('DELETE', /./)).toBe(0)
  })

  it('a prune that hangs: a warning, the step succeeds within its timeout, state and outputs written', async () => {
    const s = await sim()
    addOurOldBackup(s)
    s.inject({ method: 'DELETE', path: `${BACKUPS}400/`, fault: { kind: 'hang' }, times: Infinity })
    const result = await run(s, { keep_backups: '1', rollback_on_failure: 'true', timeout: '6s' })
    expect(result.exitCode).toBe(0)
    expect(warnings(result.log).join('\n')).toContain('Pruning older backups did not finish')
    const id = Number(result.outputs.backup_id)
    expect(result.state.rollback_backup_ids).toBe(`{"${SERVER_ID}":${id}}`)
    expect(result.outputs.status).toBe('completed')
    expect(result.durationMs).toBeLessThan(9000)
  })
})

describe('"restored" only from evidence of this restore', () => {
  it('a 503 to the restore, then updated_at changes on its own: outcome unknown, never "restored"', async () => {
    const s = await sim()
    const backup = s.addBackup({ serverId: SERVER_ID })
    s.inject({ method: 'POST', path: RESTORE, fault: { kind: 'status', status: 503, body: '' } })
    touchServers(s)
    const result = await run(s, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain('is unknown')
    expect(s.restores).toHaveLength(0)
    expect(result.outputs.status).not.toBe('active')
  })

  it('a queued restore (202, active for 3 s, then restoring), updated_at moving meanwhile: waited to its end', async () => {
    const s = await sim({ restoreQueueMs: 3000, restoreDurationMs: 3000 })
    const backup = s.addBackup({ serverId: SERVER_ID })
    touchServers(s)
    const result = await run(s, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(0)
    const finished = s.events.find((e) => e.type === 'restore-finished')
    expect(finished).toBeDefined()
    expect(s.requests.at(-1)!.at).toBeGreaterThanOrEqual(finished!.at)
    expect(s.restores).toHaveLength(1)
  })

  it('a fast restore that never shows restoring nor bumps updated_at succeeds', async () => {
    const s = await sim({ restoreDurationMs: 0, restoreKeepsUpdatedAt: true })
    const backup = s.addBackup({ serverId: SERVER_ID })
    const result = await run(s, { mode: 'restore', backup_id: String(backup.id), timeout: '4s' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.status).toBe('active')
    expect(s.restores).toHaveLength(1)
  })

  it.each(['stopped', 'suspended'] as const)(
    'a server left %s after the restore fails at once',
    async (status) => {
      const s = await sim({ restoreDurationMs: 1500 })
      s.nextRestoreOutcomes = [status]
      const backup = s.addBackup({ serverId: SERVER_ID })
      const result = await run(s, { mode: 'restore', backup_id: String(backup.id), timeout: '60s' })
      expect(result.exitCode).toBe(1)
      expect(errorLine(result)).toContain(`'${status}'`)
      expect(result.outputs.status).toBe(status)
      expect(result.durationMs).toBeLessThan(10_000)
    }
  )

  it('a server busy (409) for longer than timeout: ends at the deadline', async () => {
    const s = await faulted(
      'POST',
      RESTORE,
      { kind: 'status', status: 409, body: '{"detail": "Server is busy."}' },
      Infinity
    )
    const backup = s.addBackup({ serverId: SERVER_ID })
    const result = await run(s, { mode: 'restore', backup_id: String(backup.id), timeout: '4s' })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain('HTTP 409: Server is busy.')
    expect(result.durationMs).toBeLessThan(7000)
    expect(s.restores).toHaveLength(0)
  })
})

describe('a step adopts or reuses only its own backup', () => {
  it('a list that lags 3 s behind creates: the new backup is given time to appear', async () => {
    const s = await sim({ listLagMs: 3000 })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(result.outputs.status).toBe('completed')
  })

  it.each([
    ['204 without a body', 204, ''],
    ['201 with a body that is not JSON', 201, '{"id": 5'],
    ['201 with an id that is not an integer', 201, '{"id": "x", "status": "in_progress"}'],
    [
      '201 naming another server',
      201,
      '{"id": 77, "server": {"id": 999, "name": "x"}, "status": "in_progress"}'
    ]
  ])('a create answered %s: finds the backup it created, no orphan', async (_, status, body) => {
    const s = await faulted('POST', BACKUPS, { kind: 'rewrite', status, body })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expectOneBackup(s, result)
    expect(backupPosts(s)).toBe(1)
    expect(warnings(result.log).join('\n')).toMatch(/looking for it in server 12345/)
  })

  it('two jobs of one run: a lost create adopts its own backup, not the other job’s', async () => {
    const s = await faulted('POST', BACKUPS, { kind: 'drop-after' })
    const other = s.addBackup({
      serverId: SERVER_ID,
      status: 'in_progress',
      durationMs: 600_000,
      description: `Pre-deployment backup of acme/shop@3f78685 (run ${ISSUE9_RUN}, attempt 1) [gha:acme/shop#${ISSUE9_RUN}/1/0000aaaa/12345678]`
    })
    const result = await run(s)
    expect(result.exitCode).toBe(0)
    expect(result.outputs.backup_id).not.toBe(String(other.id))
    expect(backupPosts(s)).toBe(1)
  })

  it('a re-run with a custom description, create answer lost: never adopts the earlier attempt’s failed backup', async () => {
    const s = await faulted('POST', BACKUPS, { kind: 'drop-after' })
    const failed = s.addBackup({
      serverId: SERVER_ID,
      status: 'failed',
      description: `Before deploy [gha:acme/shop#${ISSUE9_RUN}/1/d45f646c/aaaaaaa1]`
    })
    const result = await run(
      s,
      { description: 'Before deploy' },
      { env: { GITHUB_RUN_ATTEMPT: '2' } }
    )
    expect(result.exitCode).toBe(0)
    expect(result.outputs.backup_id).not.toBe(String(failed.id))
    expect(result.outputs.status).toBe('completed')
    expect(backupPosts(s)).toBe(1)
  })

  it('wait: false and a create answered failed: the step fails', async () => {
    const s = await sim({ backupDurationMs: 0 })
    s.nextBackupOutcomes = ['failed']
    const result = await run(s, { wait: 'false' })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain('failed on VPS.org')
    expect(result.outputs.status).toBe('failed')
  })

  it('the status output is the last status seen (queued), not in_progress', async () => {
    const s = await sim({ runningStatus: 'queued', backupDurationMs: 600_000 })
    const result = await run(s, { timeout: '3s' })
    expect(result.exitCode).toBe(1)
    expect(result.outputs.status).toBe('queued')
  })
})

describe('delete', () => {
  it('a delete whose answer was lost, retried into a 404: deleted by this step', async () => {
    const s = await sim()
    const backup = s.addBackup({ serverId: SERVER_ID })
    s.inject({ method: 'DELETE', path: `${BACKUPS}${backup.id}/`, fault: { kind: 'drop-after' } })
    const result = await run(s, { mode: 'delete', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.status).toBe('deleted')
  })

  it('a backup still being made is waited for, then deleted', async () => {
    const s = await sim()
    const backup = s.addBackup({ serverId: SERVER_ID, status: 'in_progress', durationMs: 1500 })
    const result = await run(s, { mode: 'delete', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.status).toBe('deleted')
    expect(s.countRequests('DELETE', /./)).toBe(1)
  })
})

describe('a Django REST Framework server', () => {
  const FLEET = [101, 102, 103]
  const fleet = FLEET.map((id) => ({ id, name: `web-${id}` }))

  it('a 3-server backup under DRF’s sliding-window throttle finishes: a refused create is sent again without a list', async () => {
    // 3 requests in any 2 s, every request counted: fewer than the step's servers × looks.
    const s = await sim({ servers: fleet, throttle: { requests: 3, windowMs: 2000 } })
    const result = await run(s, { server_id: FLEET.join(','), timeout: '60s' })
    expect(result.exitCode).toBe(0)
    for (const id of FLEET) expect(s.backups({ serverId: id })).toHaveLength(1)
    const answers = s.requests.map((r) => `${r.method} ${r.status}`)
    expect(answers).toContain('POST 429')
    // After a server's refused create, its next request is the create again: no list of its
    // backups spends the window.
    for (const id of FLEET) {
      const own = s.requests.filter(
        (r) =>
          r.query.server_id === String(id) || (r.body as { server_id?: number })?.server_id === id
      )
      own.forEach((r, i) => {
        if (r.method === 'POST' && r.status === 429) expect(own[i + 1]?.method).toBe('POST')
      })
    }
    // The requests in flight when the first 429 came back, then at most one a window (15 before).
    expect(answers.filter((a) => a.endsWith('429')).length).toBeLessThanOrEqual(5)
    expect(result.log).toContain(
      'HTTP 429: Request was throttled. Expected available in 2 seconds. Retrying in 2s, as the API asked (Retry-After)'
    )
  })

  it('10 servers under 3 requests per 2 s: every backup made, no 429 run out of attempts', async () => {
    const servers = Array.from({ length: 10 }, (_, i) => ({ id: 201 + i, name: `node-${i}` }))
    const s = await sim({ servers, throttle: { requests: 3, windowMs: 2000 } })
    const result = await run(s, { server_id: servers.map((v) => v.id).join(','), timeout: '90s' })
    expect(result.exitCode).toBe(0)
    expect(s.backups()).toHaveLength(10)
    // After the first 429 one request at a time: at most one refused per window from then on.
    const refused = s.requests.filter((r) => r.status === 429)
    const afterFirstBurst = refused.filter((r) => r.at > refused[0]!.at + 1000)
    const windows = (s.requests.at(-1)!.at - refused[0]!.at) / 2000
    expect(afterFirstBurst.length).toBeLessThanOrEqual(Math.ceil(windows) + 1)
  }, 60_000)

  it.each(['field', 'list'] as const)(
    'the cap refused as a DRF %s error, 10 listed: makes room by deleting the oldest own backup, then creates',
    async (capRefusal) => {
      const s = await sim({ capRefusal })
      addOurBackups(s, 10)
      const result = await run(s, { keep_backups: '3' })
      expect(result.exitCode).toBe(0)
      expect(result.log).toContain(`Server ${SERVER_ID} is at the cap of 10 manual backups.`)
      expect(
        s
          .backups({ includeDeleted: true })
          .filter((b) => b.deleted)
          .map((b) => b.id)
      ).toContain(400)
      expect(result.outputs.backup_id).toBe(String(s.backups().at(-1)!.id))
    }
  )

  it('fewer than 10 manual backups and a 400 in the cap’s words: nothing deleted, the step fails', async () => {
    const s = await sim()
    addOurBackups(s, 9)
    s.inject({
      method: 'POST',
      path: BACKUPS,
      fault: {
        kind: 'status',
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: '{"server_id": ["You cannot have more than 10 manual backups per server."]}'
      }
    })
    const result = await run(s, { keep_backups: '3' })
    expect(result.exitCode).toBe(1)
    expect(s.countRequests('DELETE', /./)).toBe(0)
    expect(errorLine(result)).toBe(
      `Could not create a backup of server ${SERVER_ID}: HTTP 400: server_id: You cannot have more than 10 manual backups per server.`
    )
    expect(result.log).toContain(`but server ${SERVER_ID}'s list shows 9: nothing is deleted`)
  })

  it.each([
    ['{"detail": "A server error occurred."}', 'A server error occurred. A request'],
    ['', 'Internal Server Error. A request']
  ])(
    'a create answered 500 (%j) every time: the error line ends the server’s words, then says what may be left',
    async (body, joined) => {
      const s = await faulted(
        'POST',
        BACKUPS,
        { kind: 'status', status: 500, headers: { 'retry-after': '0' }, body },
        Infinity
      )
      const result = await run(s, { timeout: '20s' })
      expect(result.exitCode).toBe(1)
      expect(errorLine(result)).toContain(
        `HTTP 500: ${joined} to create a backup of server ${SERVER_ID} was sent`
      )
    }
  )

  it('a bare-list error body (ValidationError raised in a view) is unwrapped', async () => {
    const s = await faulted('POST', BACKUPS, {
      kind: 'status',
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: '["Backups are disabled for this server."]'
    })
    const result = await run(s)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toBe(
      `Could not create a backup of server ${SERVER_ID}: HTTP 400: Backups are disabled for this server.`
    )
  })

  it('api_url without /api/v1: Django’s own 404 page, and the line says to check api_url', async () => {
    const s = await sim()
    const result = await run(s, { api_url: s.origin })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toBe(
      `Could not list the backups of server ${SERVER_ID}: HTTP 404: Not Found (an HTML page titled "Not Found", not an answer of the API: check api_url, the API's base URL, e.g. https://admin.vps.org/api/v1)`
    )
    expect(errorLine(result)).not.toContain('proxy')
  })

  it('a Retry-After no step can wait: says it is longer than the time left, and never sleeps past the timeout', async () => {
    const s = await faulted('GET', BACKUPS, {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '99999999999999999999' }
    })
    const result = await run(s, { timeout: '5s' })
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(
      /every request to wait over 1000h \(Retry-After\), longer than the [\d.]+s left before the timeout\./
    )
    expect(result.log).not.toMatch(/Infinity|\d{6,}h/)
    expect(result.durationMs).toBeLessThan(5000)
  })

  it('50 servers and an API that never answers, timeout 10s: no request starts after it, the step ends at it', async () => {
    const servers = Array.from({ length: 50 }, (_, i) => ({ id: 301 + i, name: `node-${i}` }))
    const s = await sim({ servers })
    s.inject({ fault: { kind: 'hang' }, times: Infinity })
    const result = await run(s, { server_id: servers.map((v) => v.id).join(','), timeout: '10s' })
    expect(result.exitCode).toBe(1)
    // The step started before its first request: its deadline is at most 10 s after that.
    const deadline = s.requests[0]!.at + 10_000
    expect(s.requests.filter((r) => r.at > deadline).map((r) => r.at - deadline)).toEqual([])
    // The timeout, and at most the 1 s a request started just before it may take.
    expect(result.durationMs).toBeLessThan(12_000)
    expect(errorLine(result)).toContain(
      'not sent: the timeout passed while it waited for its turn (8 in flight at most)'
    )
  }, 30_000)
})
