/**
 * The job summary never contradicts what happened: nothing "still running" once an operation has
 * ended, no text twice, "Restored from" only after a restore, a summary even for bad inputs, and a
 * rollback snippet the user can paste as it is.
 */
import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { canonical } from '../../src/common/untrusted.js'
import { listenLocally } from '../helpers/local-server.js'
import { SERVER_ID, simulator, step } from './fixture.js'

/** The summary's text as a reader sees it (HTML entities decoded). */
function decode(summary: string): string {
  return summary.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
}

describe('job summary', () => {
  it('says nothing is still running once the backup has vanished', async () => {
    const sim = await simulator({ backupDurationMs: 60_000 })
    const running = step(sim)
    while (sim.countRequests('GET', '/api/v1/backups/') < 2)
      await new Promise((r) => setTimeout(r, 20))
    sim.removeBackup(sim.backups()[0]!.id)
    const result = await running
    expect(result.exitCode).toBe(1)
    expect(result.summary).toContain('disappeared while the action was waiting for it')
    expect(result.summary).not.toContain('Still running')
    expect(result.log).not.toContain('still being created')
  })

  it("says nothing is still running, nor restored, once the server is in 'error'", async () => {
    const sim = await simulator()
    const backup = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-14T10:30:00Z' })
    sim.nextRestoreOutcomes.push('error')
    const result = await step(sim, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(1)
    expect(result.summary).toContain('❌')
    expect(result.summary).not.toContain('Still running')
    expect(result.summary).not.toContain('Restored from')
    expect(result.summary).toContain(`<th align="left">Backup</th><td>${backup.id}</td>`)
  })

  it('says "Restored from" after a restore', async () => {
    const sim = await simulator()
    const backup = sim.addBackup({ serverId: SERVER_ID, createdAt: '2025-01-14T10:30:00Z' })
    const result = await step(sim, { mode: 'restore', backup_id: String(backup.id) })
    expect(result.exitCode).toBe(0)
    expect(result.summary).toContain(
      `<th align="left">Restored from backup</th><td>${backup.id}</td>`
    )
  })

  it('says once what a timeout left running', async () => {
    const sim = await simulator({ backupDurationMs: 60_000 })
    const result = await step(sim, { timeout: '3s' })
    expect(result.exitCode).toBe(1)
    const id = sim.backups()[0]!.id
    const pending = `Backup ${id} of server ${SERVER_ID} is still being created on VPS.org.`
    const summary = decode(result.summary)
    expect(summary.split(pending)).toHaveLength(2)
    expect(summary).toContain(`<strong>Still running:</strong> ${pending}`)
    expect(summary).toContain(`backup_id is set to ${id} for later steps.`)
    // The log's one error line says it all.
    expect(result.log).toContain(pending)
  })

  it('is written for a bad input too, naming it', async () => {
    const sim = await simulator()
    const result = await step(sim, { server_id: '12abc' })
    expect(result.exitCode).toBe(1)
    expect(result.summary).toContain('## ❌')
    expect(decode(result.summary)).toContain(
      "Input 'server_id' has an item that is not a server id"
    )
    expect(sim.requests).toHaveLength(0)
  })

  it('warns, with no ✅, when the backup to delete is not found', async () => {
    const sim = await simulator()
    const result = await step(sim, { mode: 'delete', backup_id: '999999' })
    expect(result.exitCode).toBe(0)
    expect(result.summary).toContain('## ⚠️')
    expect(result.summary).not.toContain('✅')
  })

  it('gives a rollback step that reads the output of a step with an id, with a non-default api_url', async () => {
    const sim = await simulator()
    const result = await step(sim, {}, { env: { GITHUB_ACTION: 'backup' } })
    expect(result.exitCode).toBe(0)
    const yaml = /```yaml\n([\s\S]*?)```/.exec(result.summary)?.[1]
    expect(yaml).toContain(`api_url: ${sim.url}\n`)
    expect(yaml).toContain("- if: failure() && steps.backup.outcome == 'success'")
    expect(yaml).toContain('backup_id: ${{ steps.backup.outputs.backup_id }}')
    expect(result.summary).toContain(`\`backup_id: ${result.outputs.backup_id}\``)
  })

  it('gives a rollback step with the backup id when the step has no id', async () => {
    const sim = await simulator()
    const result = await step(sim, {}, { env: { GITHUB_ACTION: '__vpsorg_backup-action' } })
    const yaml = /```yaml\n([\s\S]*?)```/.exec(result.summary)?.[1]
    expect(yaml).toContain(`backup_id: ${result.outputs.backup_id}\n`)
    expect(yaml).not.toContain('steps.')
  })

  // health_url's password is a secret input: it is scrubbed from every place the step writes,
  // here from the check's target, whose query repeats it (percent-encoded).
  it('shows no secret input anywhere: health_url’s password in the check’s target', async () => {
    const password = 'Hunter2-health-pass'
    const app = await listenLocally(
      createServer((_, res) => {
        res.writeHead(503)
        res.end()
      })
    )
    try {
      const sim = await simulator()
      const healthUrl = app.url.replace('http://', `http://monitor:${password}@`)
      const result = await step(sim, {
        mode: 'verify',
        health_url: `${healthUrl}/health?key=${encodeURIComponent(password)}`,
        health_timeout: '2s'
      })
      expect(result.exitCode).toBe(1)
      for (const place of [result.log, result.summary, JSON.stringify(result.outputs)]) {
        expect(canonical(place).toLowerCase()).not.toContain(password.toLowerCase())
      }
      expect(decode(result.summary)).toContain('/health?key=***')
    } finally {
      await app.close()
    }
  })
})
