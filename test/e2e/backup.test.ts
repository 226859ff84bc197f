import { describe, expect, it } from 'vitest'
import { SERVER_ID, backupPosts, errorLine, simulator, step } from './fixture.js'

describe('mode: backup, run as the runner runs dist/index.js', () => {
  it('creates exactly one backup, waits until it has completed and outputs it', async () => {
    const sim = await simulator()
    const result = await step(sim)
    expect(result.exitCode).toBe(0)
    expect(backupPosts(sim)).toBe(1)
    const [backup] = sim.backups({ serverId: SERVER_ID })
    expect(backup?.status).toBe('completed')
    expect(result.outputs).toEqual({
      backup_id: String(backup!.id),
      backup_ids: `{"${SERVER_ID}":${backup!.id}}`,
      status: 'completed',
      statuses: `{"${SERVER_ID}":"completed"}`,
      size_mb: String(backup!.sizeMb),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      server_name: 'web-server-01'
    })
    // The tag: run, attempt, step key (sha256 of GITHUB_JOB/GITHUB_ACTION), a nonce of this execution.
    expect(backup!.description).toMatch(
      /^Pre-deployment backup of acme\/shop@3f78685 \(run 9876543210, attempt 1\) \[gha:acme\/shop#9876543210\/1\/d45f646c\/[0-9a-f]{8}\]$/
    )
    const post = sim.requests.find((r) => r.method === 'POST')!
    expect(post.body).toEqual({ server_id: SERVER_ID, description: backup!.description })
    expect(post.authorization).toBe(`Bearer ${sim.token}`)
    expect(result.summary).toContain(`<td>${backup!.id}</td>`)
    expect(result.summary).toContain(`backup_id: ${backup!.id}`)
    expect(result.summary).toContain('mode: restore')
    expect(result.log).toContain('::group::Create the backup')
    expect(result.state).toEqual({ isPost: 'true' })
  })

  it('with wait: false returns at once with status in_progress', async () => {
    const sim = await simulator({ backupDurationMs: 60_000 })
    const result = await step(sim, { wait: 'false' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.status).toBe('in_progress')
    expect(result.outputs.backup_id).toBe(String(sim.backups()[0]!.id))
    expect(sim.requests.map((r) => r.method)).toEqual(['GET', 'POST'])
  })

  it('sends the given description, cleaned of control characters, with the tag', async () => {
    const sim = await simulator()
    const result = await step(sim, { description: 'Before\u0007 release\n 42' })
    expect(result.exitCode).toBe(0)
    expect(sim.backups()[0]!.description).toMatch(
      /^Before release 42 \[gha:acme\/shop#9876543210\/1\/d45f646c\/[0-9a-f]{8}\]$/
    )
  })

  it('fails, saying so, when the backup fails on VPS.org, and still outputs its id', async () => {
    const sim = await simulator()
    sim.nextBackupOutcomes.push('failed')
    const result = await step(sim)
    expect(result.exitCode).toBe(1)
    const id = sim.backups()[0]!.id
    expect(errorLine(result)).toContain(`Backup ${id} of server ${SERVER_ID} failed on VPS.org`)
    expect(result.outputs).toMatchObject({ backup_id: String(id), status: 'failed' })
    expect(result.summary).toContain('❌')
    // A failed backup is over: nothing is left running to clean up.
    expect(result.summary).not.toContain('Still running')
  })

  it('times out after `timeout`, naming the wait and the last status, and still outputs the id', async () => {
    const sim = await simulator({ backupDurationMs: 60_000 })
    const result = await step(sim, { timeout: '3s' })
    expect(result.exitCode).toBe(1)
    const id = sim.backups()[0]!.id
    const line = errorLine(result)
    expect(line).toContain(`Timed out after 3s waiting for backup ${id} of server ${SERVER_ID}`)
    expect(line).toContain("last status was 'in_progress'")
    expect(result.outputs).toMatchObject({ backup_id: String(id), status: 'in_progress' })
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it('fails when the backup vanishes while it is being followed', async () => {
    const sim = await simulator({ backupDurationMs: 60_000 })
    const running = step(sim)
    await until(() => sim.countRequests('GET', '/api/v1/backups/') >= 2)
    sim.removeBackup(sim.backups()[0]!.id)
    const result = await running
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain('disappeared while the action was waiting for it')
  })

  it.each([
    [401, { api_token: 'vps_wrong' }, 'HTTP 401: Invalid token.'],
    [404, { server_id: '999' }, 'HTTP 404: Not found.']
  ])(
    'fails at once on HTTP %i, naming the status and the server message',
    async (_, inputs, text) => {
      const sim = await simulator()
      const result = await step(sim, inputs)
      expect(result.exitCode).toBe(1)
      expect(errorLine(result)).toContain(text)
      expect(backupPosts(sim)).toBeLessThanOrEqual(1)
      expect(sim.requests.length).toBeLessThanOrEqual(2)
    }
  )

  it('fails at once on 403 for a token without write permission', async () => {
    const sim = await simulator({ readOnlyToken: 'vps_read_only' })
    const result = await step(sim, { api_token: 'vps_read_only' })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toBe(
      `Could not create a backup of server ${SERVER_ID}: HTTP 403: You do not have permission to perform this action.`
    )
    expect(backupPosts(sim)).toBe(1)
  })

  it('retries 503s with backoff and creates exactly one backup', async () => {
    const sim = await simulator()
    sim.inject({
      method: 'GET',
      path: '/api/v1/backups/',
      times: 2,
      fault: {
        kind: 'status',
        status: 503,
        body: '<html><title>Service Unavailable</title></html>'
      }
    })
    const result = await step(sim)
    expect(result.exitCode).toBe(0)
    expect(result.log).toMatch(/HTTP 503: .*Retrying in .* \(attempt 2 of 5\)/)
    expect(backupPosts(sim)).toBe(1)
    expect(sim.backups()).toHaveLength(1)
  })

  it.each([
    ['server_id', '0', "Input 'server_id' has an item that is not a server id"],
    ['server_id', '12abc', "Input 'server_id' has an item that is not a server id"],
    ['server_id', '12345, 12345', "Input 'server_id' lists server 12345 twice"],
    ['mode', 'nuke', "Input 'mode' must be one of backup, restore (or rollback), delete"],
    ['timeout', '10 minutes', "Input 'timeout' must be a duration"],
    ['api_url', 'http://api.example.com/api/v1', "Input 'api_url' must be an https:// URL"],
    ['api_url', 'not a url', "Input 'api_url' must be an https:// URL"],
    ['wait', 'yes', "Input 'wait' must be true or false"],
    ['api_token', '', "Input 'api_token' is required"]
  ])('rejects %s: %j before any request, in one line', async (name, value, text) => {
    const sim = await simulator()
    const result = await step(sim, { [name]: value })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toContain(text)
    expect(sim.requests).toHaveLength(0)
  })
})

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25))
  expect(condition()).toBe(true)
}
