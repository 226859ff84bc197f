import { afterEach, describe, expect, it } from 'vitest'
import { Simulator, type SimulatorOptions } from '../../simulator/server.js'

const T0 = Date.parse('2025-01-16T15:45:00.123Z')
const WEB = 12345
const DB = 777

interface Page {
  count: number
  next: string | null
  previous: string | null
  results: Array<{ id: number; status: string; size_mb: number | null }>
}

let clock = T0
let sim: Simulator | undefined

function simulator(): Simulator {
  if (!sim) throw new Error('no simulator started')
  return sim
}

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  clock = T0
  sim = await Simulator.start({
    now: () => clock,
    servers: [
      { id: WEB, name: 'web-server-01' },
      { id: DB, name: 'db-server-01' }
    ],
    ...options
  })
  return sim
}

afterEach(async () => {
  await sim?.close()
  sim = undefined
})

interface Call {
  method?: string
  body?: unknown
  raw?: string
  token?: string | null
  headers?: Record<string, string>
  signal?: AbortSignal
  redirect?: RequestInit['redirect']
}

/** Calls the simulator's API (`path` relative to /api/v1 or absolute) and reads the whole body. */
async function call(path: string, options: Call = {}) {
  const s = simulator()
  const token = options.token === undefined ? s.token : options.token
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    ...options.headers
  }
  const response = await fetch(path.startsWith('http') ? path : `${s.url}${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    signal: options.signal,
    redirect: options.redirect
  })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

const create = (body: unknown) => call('/backups/', { method: 'POST', body })
const restore = (serverId: number, body: unknown) =>
  call(`/servers/${serverId}/restore/`, { method: 'POST', body })
const list = async (query = '') => (await call(`/backups/${query}`)).json as Page

describe('authentication and permissions', () => {
  it('answers 401 without credentials, with a bad header or a wrong token', async () => {
    await start()
    const missing = await call('/backups/', { token: null })
    expect(missing.status).toBe(401)
    expect(missing.json).toEqual({ detail: 'Authentication credentials were not provided.' })
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="api"')
    const otherScheme = await call('/backups/', {
      token: null,
      headers: { authorization: 'Token x' }
    })
    expect(otherScheme.json).toEqual({ detail: 'Authentication credentials were not provided.' })
    const noToken = await call('/backups/', { token: null, headers: { authorization: 'Bearer' } })
    expect(noToken.json).toEqual({ detail: 'Invalid token header. No credentials provided.' })
    const wrong = await call('/backups/', { token: 'vps_wrong' })
    expect(wrong.status).toBe(401)
    expect(wrong.json).toEqual({ detail: 'Invalid token.' })
    const lowercase = await call('/backups/', {
      token: null,
      headers: { authorization: `bearer ${simulator().token}` }
    })
    expect(lowercase.status).toBe(200)
  })

  it('lets a read-only token read but not write (403)', async () => {
    await start({ readOnlyToken: 'vps_read_only' })
    simulator().addBackup({ serverId: WEB })
    const me = await call('/account/me/', { token: 'vps_read_only' })
    expect(me.status).toBe(200)
    expect(me.json).toMatchObject({
      account: { id: expect.any(Number) },
      token: { name: expect.any(String), permissions: ['servers:read', 'backups:read'] }
    })
    expect((await call('/backups/', { token: 'vps_read_only' })).status).toBe(200)
    const forbidden = { detail: 'You do not have permission to perform this action.' }
    const post = await call('/backups/', { method: 'POST', token: 'vps_read_only', body: {} })
    expect([post.status, post.json]).toEqual([403, forbidden])
    const del = await call('/backups/500/', { method: 'DELETE', token: 'vps_read_only' })
    expect([del.status, del.json]).toEqual([403, forbidden])
    expect(simulator().backups()).toHaveLength(1)
  })

  it('answers account/me for the full token with its permissions', async () => {
    await start()
    const me = await call('/account/me/')
    expect(me.json).toMatchObject({
      token: { permissions: expect.arrayContaining(['backups:write', 'servers:write']) }
    })
  })
})

describe('backups', () => {
  it('creates a backup in_progress that completes after backupDurationMs', async () => {
    await start({ backupDurationMs: 2000 })
    const created = await create({ server_id: WEB, description: 'Pre-deployment backup' })
    expect(created.status).toBe(201)
    expect(created.json).toEqual({
      id: 500,
      server: { id: WEB, name: 'web-server-01' },
      backup_type: 'manual',
      status: 'in_progress',
      size_mb: null,
      created_at: '2025-01-16T15:45:00Z',
      expires_at: null,
      description: 'Pre-deployment backup',
      message: 'Backup is being created. This may take several minutes depending on server size.',
      region: 'us-west',
      encrypted: true
    })
    clock += 1999
    expect((await list(`?server_id=${WEB}`)).results[0]).toMatchObject({ status: 'in_progress' })
    clock += 1
    const [done] = (await list(`?server_id=${WEB}`)).results
    expect(done?.status).toBe('completed')
    expect(done?.size_mb).toEqual(expect.any(Number))
    expect(simulator().events).toEqual([{ at: T0 + 2000, type: 'backup-completed', id: 500 }])
  })

  it('fails backups according to nextBackupOutcomes, in order', async () => {
    const s = await start({ backupDurationMs: 1000 })
    s.nextBackupOutcomes.push('failed', 'completed')
    await create({ server_id: WEB })
    clock += 500
    await create({ server_id: WEB })
    await create({ server_id: WEB })
    clock += 1000
    expect(s.backups().map((b) => [b.id, b.status])).toEqual([
      [500, 'failed'],
      [501, 'completed'],
      [502, 'completed']
    ])
    const failed = (await list()).results.find((b) => b.id === 500)
    expect(failed).toMatchObject({ status: 'failed', size_mb: null })
    expect(s.events).toEqual([
      { at: T0 + 1000, type: 'backup-failed', id: 500 },
      { at: T0 + 1500, type: 'backup-completed', id: 501 },
      { at: T0 + 1500, type: 'backup-completed', id: 502 }
    ])
  })

  it('caps manual backups at 10 per server, counting in_progress but not automatic ones', async () => {
    const s = await start()
    for (let i = 0; i < 8; i++) s.addBackup({ serverId: WEB, createdAt: '2025-01-10T10:00:00Z' })
    s.addBackup({ serverId: WEB, status: 'in_progress', durationMs: 60_000 })
    for (let i = 0; i < 3; i++) s.addBackup({ serverId: WEB, backupType: 'automatic' })
    expect((await create({ server_id: WEB })).status).toBe(201)
    const refused = await create({ server_id: WEB })
    expect(refused.status).toBe(400)
    expect(refused.json).toEqual({
      detail:
        'Maximum of 10 manual backups per server reached. Delete an existing manual backup to create a new one.'
    })
    expect((await create({ server_id: DB })).status).toBe(201)
    expect((await call('/backups/500/', { method: 'DELETE' })).status).toBe(204)
    expect((await create({ server_id: WEB })).status).toBe(201)
  })

  it.each([
    ['field', { server_id: ['You cannot have more than 10 manual backups per server.'] }],
    ['list', ['You cannot have more than 10 manual backups per server.']]
  ] as const)('refuses an 11th manual backup in the %s shape', async (capRefusal, body) => {
    const s = await start({ capRefusal })
    for (let i = 0; i < 10; i++) s.addBackup({ serverId: WEB })
    const refused = await create({ server_id: WEB })
    expect([refused.status, refused.json]).toEqual([400, body])
    expect(s.backups()).toHaveLength(10)
  })

  it.each([
    [{}, { server_id: ['This field is required.'] }],
    [{ server_id: '12345' }, { server_id: ['A valid integer is required.'] }],
    [{ server_id: 1.5 }, { server_id: ['A valid integer is required.'] }],
    [{ server_id: true }, { server_id: ['A valid integer is required.'] }],
    [{ server_id: null }, { server_id: ['This field may not be null.'] }],
    [
      { server_id: WEB, description: 'x'.repeat(256) },
      { description: ['Ensure this field has no more than 255 characters.'] }
    ],
    [
      { description: 'x'.repeat(300) },
      {
        server_id: ['This field is required.'],
        description: ['Ensure this field has no more than 255 characters.']
      }
    ],
    [{ server_id: WEB, description: ['a'] }, { description: ['Not a valid string.'] }],
    [[WEB], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }]
  ])('rejects the create body %j with 400 %j', async (body, errors) => {
    const s = await start()
    const response = await create(body)
    expect([response.status, response.json]).toEqual([400, errors])
    expect(s.backups()).toEqual([])
  })

  it('accepts a 255-character description', async () => {
    await start()
    expect((await create({ server_id: WEB, description: 'x'.repeat(255) })).status).toBe(201)
  })

  it('rejects bodies that are not JSON (400) or not application/json (415)', async () => {
    await start()
    const broken = await call('/backups/', { method: 'POST', raw: '{"server_id": 12345' })
    expect(broken.status).toBe(400)
    expect(broken.json).toEqual({ detail: expect.stringMatching(/^JSON parse error - /) })
    const form = await call('/backups/', {
      method: 'POST',
      raw: 'server_id=12345',
      headers: { 'content-type': 'application/x-www-form-urlencoded' }
    })
    expect(form.status).toBe(415)
    expect(form.json).toEqual({
      detail: 'Unsupported media type "application/x-www-form-urlencoded" in request.'
    })
  })

  it('answers 404 for an unknown server and 409 while the server is restoring', async () => {
    const s = await start()
    const unknown = await create({ server_id: 99999 })
    expect([unknown.status, unknown.json]).toEqual([404, { detail: 'Not found.' }])
    s.setServerStatus(WEB, 'restoring')
    const busy = await create({ server_id: WEB })
    expect([busy.status, busy.json]).toEqual([
      409,
      { detail: 'Server is busy: a restore is in progress.' }
    ])
  })

  it('lists with the documented shape and filters by server_id and backup_type', async () => {
    const s = await start()
    s.addBackup({ serverId: WEB, backupType: 'automatic', createdAt: '2025-01-16T03:00:00Z' })
    s.addBackup({ serverId: WEB, description: 'Pre-update backup' })
    s.addBackup({ serverId: DB })
    const all = await list()
    expect(all).toMatchObject({ count: 3, next: null, previous: null })
    expect(all.results.find((b) => b.id === 500)).toEqual({
      id: 500,
      server: { id: WEB, name: 'web-server-01' },
      backup_type: 'automatic',
      status: 'completed',
      size_mb: expect.any(Number),
      created_at: '2025-01-16T03:00:00Z',
      expires_at: '2025-02-15T03:00:00Z',
      description: '',
      region: 'us-west',
      encrypted: true
    })
    const ids = async (query: string) => (await list(query)).results.map((b) => b.id).sort()
    expect(await ids(`?server_id=${WEB}`)).toEqual([500, 501])
    expect(await ids(`?server_id=${WEB}&backup_type=manual`)).toEqual([501])
    expect(await ids('?server_id=4')).toEqual([])
    const bad = await call('/backups/?server_id=web')
    expect([bad.status, bad.json]).toEqual([400, { server_id: ['Enter a whole number.'] }])
    const badType = await call('/backups/?backup_type=weekly')
    expect(badType.json).toEqual({
      backup_type: ['Select a valid choice. weekly is not one of the available choices.']
    })
  })

  it('deletes: 204 then 404, and 409 while in progress', async () => {
    const s = await start()
    s.addBackup({ serverId: WEB })
    s.addBackup({ serverId: WEB, status: 'in_progress', durationMs: 1000 })
    const deleted = await call('/backups/500/', { method: 'DELETE' })
    expect([deleted.status, deleted.text]).toEqual([204, ''])
    expect((await list()).results.map((b) => b.id)).toEqual([501])
    const again = await call('/backups/500/', { method: 'DELETE' })
    expect([again.status, again.json]).toEqual([404, { detail: 'Not found.' }])
    const running = await call('/backups/501/', { method: 'DELETE' })
    expect([running.status, running.json]).toEqual([
      409,
      { detail: 'Backup is in progress and cannot be deleted.' }
    ])
    clock += 1000
    expect((await call('/backups/501/', { method: 'DELETE' })).status).toBe(204)
    expect(s.backups()).toEqual([])
    expect(s.backups({ includeDeleted: true }).map((b) => b.deleted)).toEqual([true, true])
  })
})

describe('routing', () => {
  it('answers 404 for unknown paths and ids, 405 for other methods', async () => {
    await start()
    const unknown = await call('/nothing/', { token: null })
    expect([unknown.status, unknown.json]).toEqual([404, { detail: 'Not found.' }])
    // Outside /api/v1/ no DRF view answers: Django's own HTML page does.
    const outside = await call(`${simulator().origin}/backups/`)
    expect(outside.status).toBe(404)
    expect(outside.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(outside.text).toContain('<title>Not Found</title>')
    expect(outside.text).toContain('The requested resource was not found on this server.')
    expect((await call('/servers/99/')).status).toBe(404)
    expect((await call('/backups/abc/', { method: 'DELETE' })).status).toBe(404)
    const put = await call('/backups/', { method: 'PUT', body: {} })
    expect([put.status, put.json]).toEqual([405, { detail: 'Method "PUT" not allowed.' }])
    expect(put.headers.get('allow')).toBe('GET, POST, HEAD')
    // No GET of one backup is documented.
    expect((await call('/backups/500/')).status).toBe(405)
  })

  it('redirects a GET without its trailing slash, like Django', async () => {
    await start()
    const response = await call('/backups?server_id=1', { redirect: 'manual' })
    expect(response.status).toBe(301)
    expect(response.headers.get('location')).toBe('/api/v1/backups/?server_id=1')
    expect((await call('/backups', { method: 'POST', body: { server_id: WEB } })).status).toBe(404)
  })
})

describe('DRF throttle (SimpleRateThrottle)', () => {
  it('lets N requests through in any window, counting every request; 429 with Retry-After until the oldest leaves it', async () => {
    const s = await start({ throttle: { requests: 3, windowMs: 10_000 } })
    expect((await call('/backups/')).status).toBe(200)
    clock += 4000
    expect((await create({ server_id: WEB })).status).toBe(201)
    expect((await call(`/servers/${WEB}/`)).status).toBe(200)
    clock += 500
    const refused = await call('/backups/')
    expect(refused.status).toBe(429)
    // The oldest request (at T0) leaves the window 10 s after it: 5.5 s from now, rounded up.
    expect(refused.headers.get('retry-after')).toBe('6')
    expect(refused.json).toEqual({
      detail: 'Request was throttled. Expected available in 6 seconds.'
    })
    // A refused request is not counted: the window frees at T0 + 10 s exactly.
    clock = T0 + 9999
    expect((await call('/backups/')).headers.get('retry-after')).toBe('1')
    clock = T0 + 10_000
    expect((await call('/backups/')).status).toBe(200)
    expect((await call('/backups/')).status).toBe(429)
    expect(s.requests.map((r) => r.status)).toEqual([200, 201, 200, 429, 429, 200, 429])
  })

  it('says "1 second" in the singular, and leaves the control surface and paths outside the API alone', async () => {
    const s = await start({ throttle: { requests: 1, windowMs: 1000 } })
    expect((await call('/backups/')).status).toBe(200)
    const refused = await call('/backups/')
    expect(refused.json).toEqual({
      detail: 'Request was throttled. Expected available in 1 second.'
    })
    expect((await fetch(`${s.origin}/__simulator__/state`)).status).toBe(200)
    expect((await fetch(`${s.origin}/backups/`)).status).toBe(404)
  })

  it('takes no fault from a throttled request, and logs it as one of kind throttle', async () => {
    const lines: string[] = []
    const s = await start({ throttle: { requests: 1, windowMs: 1000 }, log: (l) => lines.push(l) })
    await call('/backups/')
    s.inject({ method: 'GET', path: '/api/v1/backups/', fault: { kind: 'status', status: 503 } })
    expect((await call('/backups/')).status).toBe(429)
    clock += 1000
    expect((await call('/backups/')).status).toBe(503)
    expect(lines).toEqual([
      'GET /api/v1/backups/ -> 200',
      'GET /api/v1/backups/ -> 429 (fault: throttle)',
      'GET /api/v1/backups/ -> 503 (fault: status)'
    ])
  })
})

describe('servers and restore', () => {
  it('dates its answers by its own clock (whole seconds), as a real API by its own', async () => {
    await start()
    clock = T0 + 90_000
    const answer = await call('/servers/')
    expect(answer.headers.get('date')).toBe('Thu, 16 Jan 2025 15:46:30 GMT')
  })

  it('lists servers, filters by status and shows one server', async () => {
    const s = await start()
    s.setServerStatus(DB, 'stopped')
    const servers = (await call('/servers/')).json as Page
    expect(servers.count).toBe(2)
    const stopped = (await call('/servers/?status=stopped')).json as Page
    expect(stopped.results.map((server) => server.id)).toEqual([DB])
    const one = await call(`/servers/${WEB}/`)
    expect(one.json).toEqual({
      id: WEB,
      name: 'web-server-01',
      hostname: 'web-server-01.example.com',
      status: 'active',
      ip_address: '203.0.113.10',
      location: 'us-west',
      plan: 'vps-4gb',
      tags: [],
      updated_at: '2025-01-16T15:45:00Z'
    })
  })

  it('restores: 202, restoring for restoreDurationMs, then active', async () => {
    const s = await start({ restoreDurationMs: 3000 })
    s.addBackup({ serverId: WEB })
    clock += 10_000
    const accepted = await restore(WEB, { backup_id: 500 })
    expect([accepted.status, accepted.json]).toEqual([
      202,
      { detail: 'Restore started.', server_id: WEB, backup_id: 500, status: 'restoring' }
    ])
    expect((await call(`/servers/${WEB}/`)).json).toMatchObject({ status: 'restoring' })
    clock += 2999
    expect(s.server(WEB).status).toBe('restoring')
    const again = await restore(WEB, { backup_id: 500 })
    expect([again.status, again.json]).toEqual([
      409,
      { detail: 'Server is busy: a restore is in progress.' }
    ])
    clock += 1
    expect((await call(`/servers/${WEB}/`)).json).toMatchObject({
      status: 'active',
      updated_at: '2025-01-16T15:45:13Z'
    })
    expect(s.restores).toEqual([
      {
        at: T0 + 10_000,
        serverId: WEB,
        backupId: 500,
        queuedMs: 0,
        durationMs: 3000,
        outcome: 'active'
      }
    ])
    expect(s.events).toContainEqual({ at: T0 + 13_000, type: 'restore-finished', id: WEB })
  })

  it('ends a restore in error according to nextRestoreOutcomes', async () => {
    const s = await start({ restoreDurationMs: 100 })
    s.addBackup({ serverId: WEB })
    s.nextRestoreOutcomes.push('error')
    expect((await restore(WEB, { backup_id: 500 })).status).toBe(202)
    clock += 100
    expect(s.server(WEB).status).toBe('error')
    expect(s.events).toContainEqual({ at: T0 + 100, type: 'restore-failed', id: WEB })
    expect((await restore(WEB, { backup_id: 500 })).status).toBe(202)
    clock += 100
    expect(s.server(WEB).status).toBe('active')
  })

  it('validates the restore request: 400, 404 and 409', async () => {
    const s = await start()
    s.addBackup({ serverId: WEB })
    s.addBackup({ serverId: DB })
    s.addBackup({ serverId: WEB, status: 'failed' })
    const cases: Array<[number, unknown, number, unknown]> = [
      [WEB, {}, 400, { backup_id: ['This field is required.'] }],
      [WEB, { backup_id: '500' }, 400, { backup_id: ['A valid integer is required.'] }],
      [99, { backup_id: 500 }, 404, { detail: 'Not found.' }],
      [WEB, { backup_id: 9999 }, 404, { detail: 'Not found.' }],
      [WEB, { backup_id: 501 }, 404, { detail: 'Not found.' }],
      [WEB, { backup_id: 502 }, 409, { detail: 'Backup is not completed (status: failed).' }]
    ]
    for (const [serverId, body, status, json] of cases) {
      const response = await restore(serverId, body)
      expect([serverId, body, response.status, response.json]).toEqual([
        serverId,
        body,
        status,
        json
      ])
    }
    s.addBackup({ serverId: WEB, status: 'in_progress', durationMs: 500 })
    const busy = await restore(WEB, { backup_id: 500 })
    expect([busy.status, busy.json]).toEqual([
      409,
      { detail: 'Server is busy: a backup is in progress.' }
    ])
    expect(s.restores).toEqual([])
  })

  it('answers 200 with the finished server in sync mode', async () => {
    const s = await start({ restoreResponse: 'sync' })
    s.addBackup({ serverId: WEB })
    const response = await restore(WEB, { backup_id: 500 })
    expect(response.status).toBe(200)
    expect(response.json).toMatchObject({ id: WEB, status: 'active' })
    expect(s.restores).toHaveLength(1)
    expect(s.server(WEB).status).toBe('active')
  })
})

describe('list order and pagination', () => {
  it('holds a large account: other servers’ backups in the account’s list, not in a server’s', async () => {
    const s = await start({ pageSize: 10, accountBackups: 25 })
    const account = await list('')
    expect(account.count).toBe(25)
    expect(account.results.every((b) => b.id >= 10_000_000)).toBe(true)
    expect((await list(`?server_id=${WEB}`)).count).toBe(0)
    // They do not move the next backup's id.
    expect(s.addBackup({ serverId: WEB }).id).toBe(500)
    expect((await list('?server_id=900003')).count).toBe(5)
  })

  it('drifts: before a page after the first, one of the account’s other backups before it is deleted', async () => {
    const s = await start({ pageSize: 5, accountBackups: 8, pageDrift: true })
    const first = await list('')
    const second = (await call(first.next!)).json as Page
    expect(second.count).toBe(7)
    expect(s.backups({ includeDeleted: true }).filter((b) => b.deleted)).toHaveLength(1)
    // The first page's last item moved onto the page already read: neither page shows it.
    const seen = new Set([...first.results, ...second.results].map((b) => b.id))
    expect(seen.size).toBe(7)
    expect(second.results).toHaveLength(2)
    // The first page itself never drifts.
    await list('')
    expect(s.backups({ includeDeleted: true }).filter((b) => b.deleted)).toHaveLength(1)
  })

  it('pages with absolute next/previous links that keep the filters', async () => {
    const s = await start({ pageSize: 3 })
    for (let i = 0; i < 7; i++) s.addBackup({ serverId: WEB })
    s.addBackup({ serverId: DB })
    const first = await list(`?server_id=${WEB}`)
    expect(first.count).toBe(7)
    expect(first.results).toHaveLength(3)
    expect(first.previous).toBeNull()
    expect(first.next).toBe(`${s.url}/backups/?server_id=${WEB}&page=2`)
    const seen = first.results.map((b) => b.id)
    let next = first.next
    const previous: Array<string | null> = []
    while (next) {
      const page = (await call(next)).json as Page
      seen.push(...page.results.map((b) => b.id))
      previous.push(page.previous)
      next = page.next
    }
    expect(seen.sort()).toEqual([500, 501, 502, 503, 504, 505, 506])
    expect(previous).toEqual([
      `${s.url}/backups/?server_id=${WEB}`,
      `${s.url}/backups/?server_id=${WEB}&page=2`
    ])
    const invalid = await call('/backups/?page=9')
    expect([invalid.status, invalid.json]).toEqual([404, { detail: 'Invalid page.' }])
  })

  it('does not sort by id, but keeps a stable order', async () => {
    const s = await start()
    for (let i = 0; i < 6; i++) s.addBackup({ serverId: WEB })
    const order = (await list()).results.map((b) => b.id)
    expect(order).not.toEqual([...order].sort())
    expect(order).not.toEqual([...order].sort().reverse())
    expect((await list()).results.map((b) => b.id)).toEqual(order)
  })

  it('shuffles reproducibly with a seed', async () => {
    const orderWith = async (options: SimulatorOptions) => {
      const s = await start(options)
      for (let i = 0; i < 8; i++) s.addBackup({ serverId: WEB })
      const order = (await list()).results.map((b) => b.id)
      await s.close()
      return order
    }
    const seeded = await orderWith({ shuffle: true, seed: 1 })
    expect([...seeded].sort()).toEqual([500, 501, 502, 503, 504, 505, 506, 507])
    expect(await orderWith({ shuffle: true, seed: 1 })).toEqual(seeded)
    expect(await orderWith({ shuffle: true, seed: 2 })).not.toEqual(seeded)
    expect(await orderWith({})).not.toEqual(seeded)
  })
})

describe('faults', () => {
  it('drop: the request is not handled and fetch rejects', async () => {
    const s = await start()
    s.inject({ method: 'POST', path: '/api/v1/backups/', fault: { kind: 'drop' } })
    await expect(create({ server_id: WEB })).rejects.toThrow()
    expect(s.backups()).toEqual([])
    expect(s.requests.at(-1)?.status).toBeNull()
  })

  it('drop-after: the backup is created, but fetch rejects (an ambiguous create)', async () => {
    const s = await start()
    s.inject({ method: 'POST', path: '/api/v1/backups/', fault: { kind: 'drop-after' } })
    await expect(create({ server_id: WEB })).rejects.toThrow()
    expect(s.backups().map((b) => b.status)).toEqual(['in_progress'])
    expect(s.requests.at(-1)?.status).toBeNull()
  })

  it('hang and hang-after: no answer until the client gives up', async () => {
    const s = await start()
    s.inject({ path: '/api/v1/servers/', fault: { kind: 'hang' } })
    s.inject({ path: '/api/v1/backups/', fault: { kind: 'hang-after' } })
    const hung = call('/servers/', { signal: AbortSignal.timeout(100) })
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' })
    const created = call('/backups/', {
      method: 'POST',
      body: { server_id: WEB },
      signal: AbortSignal.timeout(100)
    })
    await expect(created).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(s.backups()).toHaveLength(1)
    expect((await call('/servers/')).status).toBe(200)
  })

  it('delay: handles at once, answers after ms', async () => {
    const s = await start()
    s.inject({ path: '/api/v1/backups/', fault: { kind: 'delay', ms: 150 } })
    const started = performance.now()
    const pending = create({ server_id: WEB })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(s.backups()).toHaveLength(1)
    expect((await pending).status).toBe(201)
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('trickle: writes the body slowly, in chunks', async () => {
    const s = await start()
    s.addBackup({ serverId: WEB })
    s.inject({
      path: '/api/v1/backups/',
      fault: { kind: 'trickle', chunkBytes: 64, intervalMs: 20 }
    })
    const started = performance.now()
    const response = await fetch(`${s.url}/backups/`, {
      headers: { authorization: `Bearer ${s.token}` }
    })
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    let reads = 0
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      reads++
      text += decoder.decode(chunk.value, { stream: true })
    }
    expect(JSON.parse(text)).toMatchObject({ count: 1 })
    expect(reads).toBeGreaterThan(2)
    expect(performance.now() - started).toBeGreaterThanOrEqual(60)
  })

  it('invalid-json: 200 with a body that does not parse', async () => {
    const s = await start()
    s.inject({ fault: { kind: 'invalid-json' } })
    const response = await call('/backups/')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(() => JSON.parse(response.text)).toThrow()
  })

  it('huge: 200 with an enormous chunked body', async () => {
    const s = await start()
    s.inject({ fault: { kind: 'huge', bytes: 3_000_000 } })
    const response = await call('/backups/')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-length')).toBeNull()
    expect(response.text).toHaveLength(3_000_000)
    s.inject({ fault: { kind: 'huge', bytes: 50_000_000 } })
    const aborted = await fetch(`${s.url}/backups/`, { headers: { authorization: 'x' } })
    await aborted.body?.cancel()
    expect((await call('/servers/')).status).toBe(200)
  })

  it('redirect: answers 30x with a Location', async () => {
    const s = await start()
    s.inject({
      path: '/api/v1/backups/',
      times: 2,
      fault: { kind: 'redirect', location: `${s.url}/servers/`, status: 307 }
    })
    const manual = await call('/backups/', { redirect: 'manual' })
    expect([manual.status, manual.headers.get('location')]).toEqual([307, `${s.url}/servers/`])
    const followed = await call('/backups/')
    expect(followed.json).toMatchObject({ count: 2 })
    expect(s.requests.map((r) => [r.path, r.status])).toEqual([
      ['/api/v1/backups/', 307],
      ['/api/v1/backups/', 307],
      ['/api/v1/servers/', 200]
    ])
  })

  it('status: answers e.g. 429 with Retry-After or a 502 HTML page, without handling', async () => {
    const s = await start()
    s.inject({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '3' } } })
    s.inject({
      method: 'POST',
      fault: {
        kind: 'status',
        status: 502,
        headers: { 'content-type': 'text/html' },
        body: '<html><body><h1>502 Bad Gateway</h1></body></html>'
      }
    })
    const limited = await call('/backups/')
    expect([limited.status, limited.headers.get('retry-after'), limited.text]).toEqual([
      429,
      '3',
      ''
    ])
    const gateway = await create({ server_id: WEB })
    expect(gateway.status).toBe(502)
    expect(gateway.text).toContain('Bad Gateway')
    expect(s.backups()).toEqual([])
  })

  it('echo: sends the bearer token back, encoded, where it is asked to', async () => {
    const s = await start()
    s.inject({ fault: { kind: 'echo', place: 'detail', encoding: 'raw' } })
    s.inject({ fault: { kind: 'echo', place: 'html', encoding: 'html' } })
    s.inject({ fault: { kind: 'echo', place: 'location', encoding: 'percent' } })
    s.inject({ fault: { kind: 'echo', place: 'field', encoding: 'base64' } })
    const detail = await call('/servers/')
    expect([detail.status, detail.json]).toEqual([401, { detail: `Invalid token: ${s.token}` }])
    const html = await call('/servers/')
    expect(html.status).toBe(403)
    expect(html.text).toContain(`<title>Access denied for &#${s.token.charCodeAt(0)};`)
    const location = await call('/servers/', { redirect: 'manual' })
    expect(location.status).toBe(302)
    expect(decodeURIComponent(location.headers.get('location')!)).toContain(`token=${s.token}`)
    const field = await call('/servers/')
    const encoded = Buffer.from(`Bearer ${s.token}`).toString('base64')
    expect([field.status, field.json]).toEqual([
      400,
      { authorization: [`Unknown token ${encoded}.`] }
    ])
  })

  it('override: handles the request, then writes the fields over every object answered', async () => {
    const s = await start()
    s.addBackup({ serverId: WEB, description: 'kept' })
    const fields = { description: 'x\n::error::y', 'server.name': 'z', size_mb: { toString: 1 } }
    s.inject({ method: 'GET', fault: { kind: 'override', fields } })
    const page = await list()
    expect(page.results[0]).toMatchObject({
      description: 'x\n::error::y',
      server: { id: WEB, name: 'z' },
      size_mb: { toString: 1 }
    })
    expect(s.backups()[0]!.description).toBe('kept')
  })

  it('endless-pages: every page is empty and points to a page not seen before', async () => {
    const s = await start()
    s.inject({
      path: '/api/v1/backups/',
      times: Infinity,
      fault: { kind: 'endless-pages', padding: 10 }
    })
    const seen = new Set<string>()
    let next: string | null = `${s.url}/backups/`
    for (let i = 0; i < 5; i++) {
      const page = (await call(next!)).json as Page & { padding: string }
      expect([page.results, page.padding]).toEqual([[], 'x'.repeat(10)])
      expect(seen.has(page.next!)).toBe(false)
      seen.add(page.next!)
      next = page.next
    }
  })

  it('consumes rules by times, first matching rule first, and clears them', async () => {
    const s = await start()
    const unavailable = { kind: 'status', status: 503 } as const
    s.inject({ method: 'GET', path: /\/servers\/$/, times: 2, fault: unavailable })
    s.inject({ path: '/api/v1/servers/', fault: { kind: 'status', status: 504 } })
    s.inject({ method: 'POST', times: Infinity, fault: unavailable })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await call('/servers/')).status)
    expect(statuses).toEqual([503, 503, 504, 200])
    for (let i = 0; i < 3; i++) expect((await create({ server_id: WEB })).status).toBe(503)
    s.clearFaults()
    expect((await create({ server_id: WEB })).status).toBe(201)
  })
})

describe('fault kinds for restore points and evidence', () => {
  it('runningStatus: a running backup shows it, cannot be deleted (409), then completes', async () => {
    const s = await start({ runningStatus: 'queued', backupDurationMs: 1000 })
    const created = await create({ server_id: WEB })
    expect(created.json).toMatchObject({ status: 'queued' })
    const refused = await call('/backups/500/', { method: 'DELETE' })
    expect(refused.status).toBe(409)
    s.addBackup({ serverId: WEB, id: 510, status: 'in_progress', runningStatus: 'creating' })
    expect((await list()).results.map((b) => b.status).sort()).toEqual(['creating', 'queued'])
    clock += 2000
    expect((await list()).results.find((b) => b.id === 500)!.status).toBe('completed')
  })

  it('listLagMs: a new backup is left out of lists until it is that old', async () => {
    await start({ listLagMs: 5000 })
    await create({ server_id: WEB })
    expect((await list()).results).toEqual([])
    clock += 5000
    expect((await list()).results.map((b) => b.id)).toEqual([500])
  })

  it('touch-servers: changes updated_at, then answers normally', async () => {
    const s = await start()
    const before = (await call(`/servers/${WEB}/`)).json as { updated_at: string }
    clock += 60_000
    s.inject({ path: `/api/v1/servers/${WEB}/`, fault: { kind: 'touch-servers' } })
    const after = (await call(`/servers/${WEB}/`)).json as { updated_at: string; status: string }
    expect(after.status).toBe('active')
    expect(Date.parse(after.updated_at) - Date.parse(before.updated_at)).toBe(60_000)
    s.inject({ path: `/api/v1/servers/${WEB}/`, fault: { kind: 'touch-servers' } })
    const again = (await call(`/servers/${WEB}/`)).json as { updated_at: string }
    expect(Date.parse(again.updated_at) - Date.parse(after.updated_at)).toBe(1000)
  })

  it('restoreQueueMs: 202, active (and busy) while queued, then restoring, then active', async () => {
    const s = await start({ restoreQueueMs: 5000, restoreDurationMs: 3000 })
    s.addBackup({ serverId: WEB })
    expect((await restore(WEB, { backup_id: 500 })).status).toBe(202)
    expect(s.server(WEB).status).toBe('active')
    expect((await restore(WEB, { backup_id: 500 })).status).toBe(409)
    clock += 5000
    expect(s.server(WEB).status).toBe('restoring')
    clock += 3000
    expect(s.server(WEB).status).toBe('active')
    expect(s.events).toContainEqual({ at: T0 + 8000, type: 'restore-finished', id: WEB })
  })

  it('restoreKeepsUpdatedAt: a restore that never bumps updated_at', async () => {
    const s = await start({ restoreKeepsUpdatedAt: true, restoreDurationMs: 0 })
    s.addBackup({ serverId: WEB })
    const before = (await call(`/servers/${WEB}/`)).json as { updated_at: string }
    clock += 10_000
    expect((await restore(WEB, { backup_id: 500 })).status).toBe(202)
    clock += 10_000
    const after = (await call(`/servers/${WEB}/`)).json as { updated_at: string; status: string }
    expect(after).toMatchObject({ status: 'active', updated_at: before.updated_at })
    expect(s.restores).toHaveLength(1)
  })

  it('records when a backup was deleted', async () => {
    const s = await start()
    s.addBackup({ serverId: WEB, id: 520 })
    clock += 1000
    await call('/backups/520/', { method: 'DELETE' })
    expect(s.backups({ includeDeleted: true })[0]).toMatchObject({
      deleted: true,
      deletedAt: T0 + 1000
    })
  })
})

describe('several servers', () => {
  const WORKER = 12346

  it('gives each server its own backup duration, falling back to the global one', async () => {
    const s = await start({
      backupDurationMs: 4000,
      servers: [
        { id: WEB, name: 'web-server-01', backupDurationMs: 1000 },
        { id: WORKER, name: 'worker-01', backupDurationMs: 3000 },
        { id: DB, name: 'db-server-01' }
      ]
    })
    await create({ server_id: WEB })
    await create({ server_id: WORKER })
    await create({ server_id: DB })
    s.addBackup({ serverId: WORKER, status: 'in_progress' })
    clock += 1000
    expect(s.backups().map((b) => [b.serverId, b.status])).toEqual([
      [WEB, 'completed'],
      [WORKER, 'in_progress'],
      [DB, 'in_progress'],
      [WORKER, 'in_progress']
    ])
    clock += 3000
    expect(s.events).toEqual([
      { at: T0 + 1000, type: 'backup-completed', id: 500 },
      { at: T0 + 3000, type: 'backup-completed', id: 501 },
      { at: T0 + 3000, type: 'backup-completed', id: 503 },
      { at: T0 + 4000, type: 'backup-completed', id: 502 }
    ])
  })

  it('fails the next backup of a server with failNextBackup, and only that one', async () => {
    const s = await start({
      backupDurationMs: 1000,
      servers: [
        { id: WEB, name: 'web-server-01' },
        { id: DB, name: 'db-server-01', failNextBackup: true }
      ]
    })
    s.nextBackupOutcomes.push('failed')
    await create({ server_id: DB })
    await create({ server_id: WEB })
    await create({ server_id: DB })
    clock += 1000
    expect(s.backups().map((b) => [b.serverId, b.status])).toEqual([
      [DB, 'failed'],
      [WEB, 'failed'],
      [DB, 'completed']
    ])
  })

  it('gives each server its own restore duration, falling back to the global one', async () => {
    const s = await start({
      restoreDurationMs: 5000,
      servers: [
        { id: WEB, name: 'web-server-01', restoreDurationMs: 1000 },
        { id: DB, name: 'db-server-01' }
      ]
    })
    s.addBackup({ serverId: WEB })
    s.addBackup({ serverId: DB })
    await restore(WEB, { backup_id: 500 })
    await restore(DB, { backup_id: 501 })
    clock += 1000
    expect([s.server(WEB).status, s.server(DB).status]).toEqual(['active', 'restoring'])
    clock += 4000
    expect(s.server(DB).status).toBe('active')
  })

  it("pages the list without server_id through every server's backups", async () => {
    const ids = Array.from({ length: 5 }, (_, index) => WEB + index)
    const s = await start({
      pageSize: 4,
      servers: ids.map((id) => ({ id, name: `web-${id}` }))
    })
    for (const id of ids) {
      s.addBackup({ serverId: id })
      s.addBackup({ serverId: id, backupType: 'automatic' })
    }
    const seen: Array<[number, number]> = []
    let next: string | null = `${s.url}/backups/`
    let pages = 0
    while (next) {
      const page = (await call(next)).json as {
        count: number
        next: string | null
        results: Array<{ id: number; server: { id: number } }>
      }
      expect(page.count).toBe(10)
      seen.push(...page.results.map((b): [number, number] => [b.id, b.server.id]))
      next = page.next
      pages += 1
    }
    expect(pages).toBe(3)
    expect(seen.sort((a, b) => a[0] - b[0])).toEqual(
      s.backups().map((b): [number, number] => [b.id, b.serverId])
    )
    expect(new Set(seen.map(([, server]) => server))).toEqual(new Set(ids))
  })

  it('rate-limits only the requests naming one server, with a serverId fault rule', async () => {
    const s = await start()
    s.addBackup({ serverId: DB })
    s.addBackup({ serverId: WEB })
    const limited = { kind: 'status', status: 429, headers: { 'retry-after': '2' } } as const
    s.inject({ serverId: DB, times: Infinity, fault: limited })
    expect((await call('/backups/501/', { method: 'DELETE' })).status).toBe(204)
    expect((await create({ server_id: WEB })).status).toBe(201)
    expect((await list(`?server_id=${WEB}`)).count).toBe(1)
    expect((await call(`/servers/${WEB}/`)).status).toBe(200)
    expect((await call('/backups/')).status).toBe(200)
    expect((await create({ server_id: DB })).status).toBe(429)
    expect((await call(`/backups/?server_id=${DB}`)).status).toBe(429)
    expect((await call(`/servers/${DB}/`)).status).toBe(429)
    expect((await restore(DB, { backup_id: 500 })).status).toBe(429)
    expect(s.backups({ serverId: DB })).toHaveLength(1)
  })

  it('takes a serverId fault rule over the control endpoint, and refuses a bad one', async () => {
    const s = await start()
    const post = (rule: unknown) =>
      fetch(`${s.origin}/__simulator__/faults`, { method: 'POST', body: JSON.stringify(rule) })
    const bad = await post({ serverId: 'db', fault: { kind: 'drop' } })
    expect([bad.status, await bad.json()]).toEqual([
      400,
      { detail: 'Invalid fault rule: "serverId" must be an integer.' }
    ])
    expect((await post({ serverId: DB, fault: { kind: 'status', status: 429 } })).status).toBe(204)
    expect((await call(`/servers/${WEB}/`)).status).toBe(200)
    expect((await call(`/servers/${DB}/`)).status).toBe(429)
  })
})

describe('introspection', () => {
  it('records every request and counts them', async () => {
    const lines: string[] = []
    const s = await start({ log: (line) => lines.push(line) })
    await create({ server_id: WEB })
    clock += 5
    await call(`/backups/?server_id=${WEB}`)
    expect(s.requests).toEqual([
      {
        at: T0,
        method: 'POST',
        path: '/api/v1/backups/',
        query: {},
        body: { server_id: WEB },
        status: 201,
        authorization: `Bearer ${s.token}`,
        headers: expect.objectContaining({ authorization: `Bearer ${s.token}` })
      },
      {
        at: T0 + 5,
        method: 'GET',
        path: '/api/v1/backups/',
        query: { server_id: String(WEB) },
        body: undefined,
        status: 200,
        authorization: `Bearer ${s.token}`,
        headers: expect.objectContaining({ authorization: `Bearer ${s.token}` })
      }
    ])
    expect(s.countRequests('POST', '/api/v1/backups/')).toBe(1)
    expect(s.countRequests('get', /backups/)).toBe(1)
    expect(lines).toEqual([
      'POST /api/v1/backups/ -> 201',
      `GET /api/v1/backups/?server_id=${WEB} -> 200`
    ])
    expect(lines.join('\n')).not.toContain(s.token)
  })

  it('exposes state and fault injection over HTTP, without auth and unrecorded', async () => {
    const s = await start()
    s.addBackup({ serverId: WEB })
    await call('/backups/500/', { method: 'DELETE' })
    const injected = await fetch(`${s.origin}/__simulator__/faults`, {
      method: 'POST',
      body: JSON.stringify({
        path: '/api/v1/servers/',
        times: 'Infinity',
        fault: { kind: 'status', status: 503 }
      })
    })
    expect(injected.status).toBe(204)
    for (let i = 0; i < 2; i++) expect((await call('/servers/')).status).toBe(503)
    const invalid = await fetch(`${s.origin}/__simulator__/faults`, {
      method: 'POST',
      body: JSON.stringify({ fault: { kind: 'trickle', chunkBytes: 0 } })
    })
    expect(invalid.status).toBe(400)
    expect(await invalid.json()).toEqual({
      detail: 'Invalid fault rule: "fault.intervalMs" is required; "fault.chunkBytes" is invalid.'
    })
    const state = await (await fetch(`${s.origin}/__simulator__/state`)).json()
    expect(state).toMatchObject({
      servers: [{ id: WEB, status: 'active' }, { id: DB }],
      backups: [{ id: 500, deleted: true }],
      restores: [],
      requests: 3
    })
    expect(s.requests).toHaveLength(3)
  })

  it('close() ends hung connections and does not wait for them', async () => {
    const s = await start()
    s.inject({ times: Infinity, fault: { kind: 'hang' } })
    const pending = [1, 2, 3].map(() => call('/servers/').catch((error: unknown) => error))
    while (s.requests.length < 3) await new Promise((resolve) => setTimeout(resolve, 5))
    const started = performance.now()
    await s.close()
    expect(performance.now() - started).toBeLessThan(1000)
    for (const outcome of await Promise.all(pending)) expect(outcome).toBeInstanceOf(Error)
  })
})
