import { describe, expect, it } from 'vitest'
import { SERVER_ID, simulator, step } from './fixture.js'

/*
 * Every restore says, before its restore request, what it throws away: the data-loss window, in
 * the log and in the job summary, one line per server.
 */

/** A whole second `minutes` ago, as the API writes created_at. */
const ago = (minutes: number): string =>
  new Date(Math.floor(Date.now() / 1000) * 1000 - minutes * 60_000)
    .toISOString()
    .replace('.000Z', 'Z')

/** The line, with an age of `minutes` (and the few seconds the step takes to get there). */
const lineOf = (server: number, backup: number, created: string, minutes: number): RegExp =>
  new RegExp(
    `Restoring server ${server} to backup ${backup}, created ${created} \\(${minutes}m(\\d{1,2}s)? ago\\): anything written to the server since then is lost\\.`
  )

describe('the data-loss window of a restore', () => {
  it('the restore step says it in the log, before the restore request, and in the summary', async () => {
    const sim = await simulator()
    const created = ago(42)
    const { id } = sim.addBackup({ serverId: SERVER_ID, createdAt: created })
    let requestedWithLine: boolean | undefined
    let log = ''
    const result = await step(
      sim,
      { mode: 'restore', backup_id: String(id) },
      {
        onLog: (chunk) => {
          log += chunk
          // The restore request has not been sent when the line is written.
          if (requestedWithLine === undefined && /anything written/.test(log)) {
            requestedWithLine = sim.restores.length > 0
          }
        }
      }
    )
    expect(result.exitCode).toBe(0)
    expect(requestedWithLine).toBe(false)
    const line = lineOf(SERVER_ID, id, created, 42)
    expect(result.log).toMatch(line)
    expect(result.summary).toMatch(line)
    expect(result.summary).toContain('Data-loss window')
  })

  it('the post step (automatic rollback) says it too', async () => {
    const sim = await simulator()
    const inputs = { mode: 'backup', rollback_on_failure: 'true' }
    const main = await step(sim, inputs)
    expect(main.exitCode).toBe(0)
    expect(main.log).not.toContain('anything written')
    const post = await step(sim, inputs, { post: { state: main.state } })
    expect(post.exitCode).toBe(0)
    const line = new RegExp(
      `Restoring server ${SERVER_ID} to backup ${main.outputs.backup_id}, created \\S+Z \\([\\d.]+s ago\\): anything written to the server since then is lost\\.`
    )
    expect(post.log).toMatch(line)
    expect(post.summary).toMatch(line)
  })

  it('several servers: one line per server, in the log and in the summary', async () => {
    const servers = [101, 102, 103]
    const sim = await simulator({ servers: servers.map((id) => ({ id, name: `node-${id}` })) })
    const backups = servers.map((server, i) => {
      const created = ago(10 * (i + 1))
      return { server, created, id: sim.addBackup({ serverId: server, createdAt: created }).id }
    })
    const result = await step(sim, {
      server_id: servers.join(', '),
      mode: 'restore',
      backup_id: JSON.stringify(Object.fromEntries(backups.map((b) => [b.server, b.id])))
    })
    expect(result.exitCode).toBe(0)
    backups.forEach(({ server, created, id }, i) => {
      const line = lineOf(server, id, created, 10 * (i + 1))
      expect(result.log.split('\n').filter((l) => line.test(l))).toHaveLength(1)
      expect(result.summary).toMatch(line)
    })
  })
})
