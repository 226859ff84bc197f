import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProxy } from 'proxy'
import { describe, expect, it } from 'vitest'
import type { AppOptions } from '../../simulator/app.js'
import type { Simulator } from '../../simulator/server.js'
import type { StepResult } from '../../scripts/local-runner.js'
import { SERVER_ID, afterTest, errorLine, restorePosts, simulator, step } from './fixture.js'

/*
 * App health checks after a restore (and mode: verify), through dist/ against the simulator's
 * app: an HTTP endpoint and a TCP port per server whose health follows the server's state.
 */

/** A simulator whose server runs an app, and one completed backup to restore. */
async function withApp(app: AppOptions = {}): Promise<{ sim: Simulator; backupId: number }> {
  const sim = await simulator({ app })
  const backupId = sim.addBackup({ serverId: SERVER_ID, description: 'before deploy' }).id
  return { sim, backupId }
}

const restore = (sim: Simulator, backupId: number, inputs: Record<string, string>) =>
  step(sim, { mode: 'restore', backup_id: String(backupId), ...inputs })

/** mode: verify, as a deploy gate runs it: no api_token, no server_id. */
const verify = (sim: Simulator, inputs: Record<string, string>, options = {}) =>
  step(sim, { mode: 'verify', api_token: '', server_id: '', ...inputs }, options)

/** Every request the app saw, with its headers: never the VPS.org token. */
function expectNoToken(sim: Simulator): void {
  const requests = sim.app(SERVER_ID).requests
  expect(requests.length).toBeGreaterThan(0)
  for (const request of requests) {
    expect(JSON.stringify(request.headers)).not.toContain(sim.token)
    expect(request.headers.authorization ?? '').not.toMatch(/bearer/i)
  }
}

function expectUnhealthy(result: StepResult, reason: string, restored?: number): string {
  expect(result.exitCode).toBe(1)
  expect(result.outputs.health).toBe('unhealthy')
  const line = errorLine(result)
  if (restored !== undefined) {
    expect(line).toMatch(
      new RegExp(
        `^Server ${SERVER_ID} was restored from backup ${restored} and is active, but the app is not healthy after [\\d.]+s: `
      )
    )
    expect(result.outputs.status).toBe('active')
    expect(result.summary).toContain('restored but not healthy: the app needs attention')
    expect(line).toMatch(/\. This step fails and restores nothing more: the app needs attention\.$/)
  } else {
    expect(line).toMatch(
      /^The app is not healthy after [\d.]+s(, when the step's timeout \(\w+\) ended the checks)?: /
    )
    expect(result.summary).toContain('not healthy: this step fails')
    // The step cannot know whether an automatic rollback follows: it says what holds either way.
    expect(line).toMatch(
      /\. This step fails: a backup step of this job with rollback_on_failure: true restores the server in its post step; without one, roll back with mode: restore\.$/
    )
  }
  expect(line).toContain(reason)
  expect(line).not.toMatch(/a person is needed/i)
  return line
}

/** The seconds the failure line says the checks took. */
const saidSeconds = (line: string): number => Number(/not healthy after ([\d.]+)s/.exec(line)![1])

describe('mode: restore with health_url', () => {
  it('waits for the app to boot after the server is active, then is green', async () => {
    const { sim, backupId } = await withApp({ bootMs: 4000 })
    const app = sim.app(SERVER_ID)
    const result = await restore(sim, backupId, { health_url: app.healthUrl })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ status: 'active', health: 'healthy' })
    // The app was probed while it booted (503), and healthy only after it truly was.
    const answers = app.requests.map((r) => r.at)
    const since = app.healthySince!
    expect(answers.some((at) => at < since)).toBe(true)
    expect(answers.filter((at) => at >= since)).toHaveLength(2) // health_threshold: 2
    expect(result.log).toContain('HTTP 503')
    expect(result.log).toMatch(/The app is healthy: 2 rounds in a row passed/)
    expect(result.summary).toContain('restored and healthy')
    expect(result.summary).toContain(`<td>${app.healthUrl}</td>`)
    expectNoToken(sim)
  })

  it('never healthy: fails in one line naming the check and its answer; the server is still reported restored', async () => {
    const { sim, backupId } = await withApp({ fault: 'broken' })
    const app = sim.app(SERVER_ID)
    const result = await restore(sim, backupId, { health_url: app.healthUrl, health_timeout: '3s' })
    expectUnhealthy(result, `${app.healthUrl} last answered HTTP 500`, backupId)
    expect(sim.server(SERVER_ID).status).toBe('active')
    expect(restorePosts(sim)).toBe(1)
  })

  it('a tcp:// check: refused while the app boots, then connected', async () => {
    const { sim, backupId } = await withApp({ bootMs: 4000 })
    const app = sim.app(SERVER_ID)
    const result = await restore(sim, backupId, { health_url: app.tcpUrl })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.health).toBe('healthy')
    expect(result.log).toContain('ECONNREFUSED')
    expect(result.summary).toContain(`<td>${app.tcpUrl}</td><td>connected</td>`)
  })

  it('the VPS.org token never reaches the app; user-info goes as Basic authentication and is never printed', async () => {
    const { sim, backupId } = await withApp()
    const app = sim.app(SERVER_ID)
    const password = 'app-s3cret-passw0rd'
    const url = app.healthUrl.replace('http://', `http://monitor:${password}@`)
    const result = await restore(sim, backupId, { health_url: url })
    expect(result.exitCode).toBe(0)
    expectNoToken(sim)
    const basic = `Basic ${Buffer.from(`monitor:${password}`).toString('base64')}`
    expect(app.requests.map((r) => r.headers.authorization)).toEqual(app.requests.map(() => basic))
    for (const place of [result.log, result.summary, JSON.stringify(result.outputs)]) {
      expect(place).not.toContain(password)
      expect(place).not.toContain('monitor:')
    }
    expect(result.summary).toContain(`<td>${app.healthUrl}</td>`)
  })

  it('the automatic rollback (post step) checks the app too', async () => {
    const sim = await simulator({ app: { bootMs: 1000 } })
    const inputs = {
      mode: 'backup',
      rollback_on_failure: 'true',
      health_url: sim.app(SERVER_ID).healthUrl
    }
    const main = await step(sim, inputs)
    expect(main.exitCode).toBe(0)
    const post = await step(sim, inputs, { post: { state: main.state } })
    expect(post.exitCode).toBe(0)
    expect(post.log).toMatch(/The app is healthy: 2 rounds in a row passed/)
    expect(post.summary).toContain('restored and healthy')
    expectNoToken(sim)
  })

  it('the automatic rollback whose app stays down fails, saying the server was restored', async () => {
    const sim = await simulator({ app: { fault: 'broken' } })
    const inputs = {
      mode: 'backup',
      rollback_on_failure: 'true',
      health_url: sim.app(SERVER_ID).healthUrl,
      health_timeout: '2s'
    }
    const main = await step(sim, inputs)
    const post = await step(sim, inputs, { post: { state: main.state } })
    expect(post.exitCode).toBe(1)
    expect(errorLine(post)).toMatch(
      new RegExp(
        `^Server ${SERVER_ID} was restored from backup ${main.outputs.backup_id} and is active, but the app is not healthy`
      )
    )
  })
})

describe('mode: verify (the deploy gate)', () => {
  it('needs no api_token or server_id and makes no VPS.org request', async () => {
    const sim = await simulator({ app: {} })
    const result = await verify(sim, { health_url: sim.app(SERVER_ID).healthUrl })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toEqual({ health: 'healthy' })
    expect(sim.requests).toEqual([])
    expect(result.summary).toContain('App health check')
  })

  it('a flapping app passes one round but not health_threshold rounds in a row', async () => {
    const sim = await simulator({ app: { fault: 'flap' } })
    const url = sim.app(SERVER_ID).healthUrl
    const once = await verify(sim, { health_url: url, health_threshold: '1' })
    expect(once.exitCode).toBe(0)
    const twice = await verify(sim, { health_url: url, health_timeout: '4s' })
    expectUnhealthy(twice, `${url} last`)
    expect(errorLine(twice)).toContain('HTTP 503')
  })

  it('a hanging check is abandoned at health_timeout, not 10 s later, and the line says the real time', async () => {
    const sim = await simulator({ app: { fault: 'hang' } })
    const url = sim.app(SERVER_ID).healthUrl
    const result = await verify(sim, { health_url: url, health_timeout: '2s' })
    const line = expectUnhealthy(result, `${url} last answered nothing within 2s (abandoned)`)
    expect(saidSeconds(line)).toBeGreaterThanOrEqual(2)
    expect(saidSeconds(line)).toBeLessThan(3)
    // The step: node's start, the checks (2 s), the summary; not the 10 s of a probe on top.
    expect(result.durationMs).toBeLessThan(7000)
  }, 30_000)

  it('a body that trickles under health_contains ends within health_timeout', async () => {
    const sim = await simulator({ app: { fault: 'trickle' } })
    const url = sim.app(SERVER_ID).healthUrl
    const result = await verify(sim, {
      health_url: url,
      health_contains: 'healthy',
      health_timeout: '3s'
    })
    const line = expectUnhealthy(
      result,
      `${url} last answered HTTP 200 without the health_contains text within`
    )
    expect(saidSeconds(line)).toBeLessThan(4)
    expect(result.durationMs).toBeLessThan(8000)
  }, 30_000)

  it("the step's timeout bounds the checks too: a slow app ends the step within timeout", async () => {
    const sim = await simulator({ app: { fault: 'trickle' } })
    const url = sim.app(SERVER_ID).healthUrl
    const result = await verify(sim, {
      health_url: url,
      health_contains: 'healthy',
      health_timeout: '5m',
      timeout: '3s'
    })
    const line = expectUnhealthy(
      result,
      `${url} last answered HTTP 200 without the health_contains`
    )
    expect(line).toMatch(/after [\d.]+s, when the step's timeout \(3s\) ended the checks: /)
    expect(saidSeconds(line)).toBeLessThan(4)
    expect(result.durationMs).toBeLessThan(8000)
  }, 30_000)

  it('poll_interval at or above health_timeout: a healthy app still passes promptly', async () => {
    const sim = await simulator({ app: {} })
    const url = sim.app(SERVER_ID).healthUrl
    for (const pollInterval of ['30', '600']) {
      const result = await verify(sim, {
        health_url: url,
        health_timeout: '30s',
        poll_interval: pollInterval
      })
      expect(result.exitCode).toBe(0)
      expect(result.outputs.health).toBe('healthy')
      // Rounds at once and 1 s later (health_threshold: 2), not at poll_interval.
      expect(result.log).toMatch(/The app is healthy: 2 rounds in a row passed, after 1(\.\d)?s\./)
      expect(result.durationMs).toBeLessThan(10_000)
    }
  }, 30_000)

  it('follows up to 5 redirects, not 6', async () => {
    const sim = await simulator({ app: {} })
    const { origin } = sim.app(SERVER_ID)
    const five = await verify(sim, { health_url: `${origin}/redirect/5` })
    expect(five.exitCode).toBe(0)
    const six = await verify(sim, { health_url: `${origin}/redirect/6`, health_timeout: '2s' })
    expectUnhealthy(six, 'HTTP 302: more than 5 redirects')
  })

  it('health_contains: a 200 with the wrong body is not healthy', async () => {
    const sim = await simulator({ app: { fault: 'wrong-body' } })
    const url = sim.app(SERVER_ID).healthUrl
    const plain = await verify(sim, { health_url: url })
    expect(plain.exitCode).toBe(0)
    const result = await verify(sim, {
      health_url: url,
      health_contains: 'healthy',
      health_timeout: '2s'
    })
    expectUnhealthy(result, 'HTTP 200 without the health_contains text in the body')
    sim.app(SERVER_ID).fault = 'none'
    const good = await verify(sim, { health_url: url, health_contains: 'healthy' })
    expect(good.exitCode).toBe(0)
  })

  it('http checks go through HTTP_PROXY like the API client; tcp checks connect directly', async () => {
    const proxy = createProxy(createServer())
    const connects: string[] = []
    proxy.prependListener('connect', (req) => connects.push(req.url ?? ''))
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    afterTest(
      () =>
        new Promise((resolve) => {
          proxy.closeAllConnections()
          proxy.close(() => resolve())
        })
    )
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    const sim = await simulator({ app: {} })
    const app = sim.app(SERVER_ID)
    const result = await verify(
      sim,
      { health_url: `${app.healthUrl}\n${app.tcpUrl}` },
      { env: { HTTP_PROXY: proxyUrl } }
    )
    expect(result.exitCode).toBe(0)
    expect(new Set(connects)).toEqual(new Set([new URL(app.origin).host]))
  })

  it.each([
    ['SIGINT', 'hang', '', 3000],
    ['SIGTERM', 'hang', '', 3000],
    ['SIGINT', 'broken', '30', 1500],
    ['SIGTERM', 'broken', '30', 1500]
  ] as const)(
    '%s stops the checks at once (app fault %s, poll_interval %j)',
    async (signal, fault, pollInterval, afterMs) => {
      // A hanging app: the signal comes during the first probe (sent at once, hung for 10 s);
      // broken: during a sleep between rounds (poll_interval does not change their cadence).
      const sim = await simulator({ app: { fault } })
      const result = await verify(
        sim,
        {
          health_url: sim.app(SERVER_ID).healthUrl,
          health_timeout: '5m',
          poll_interval: pollInterval
        },
        { signals: [{ afterMs, signal }] }
      )
      expect(result.signal).toBeNull()
      expect(result.exitCode).toBe(1)
      expect(result.durationMs - afterMs).toBeLessThan(1000)
      expect(errorLine(result)).toMatch(/^The workflow was cancelled\./)
      expect(result.outputs.health).toBeUndefined()
    }
  )

  it('bad input is refused in one line before any request', async () => {
    const sim = await simulator({ app: {} })
    const result = await step(sim, { mode: 'backup', health_url: sim.app(SERVER_ID).healthUrl })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(/^Input 'health_url' is used only with mode: restore/)
    expect(sim.requests).toEqual([])
    expect(sim.app(SERVER_ID).requests).toEqual([])
  })

  it('the VPS.org token in health_url, in any form, is refused by line, never sent or printed', async () => {
    const sim = await simulator({ app: {} })
    const app = sim.app(SERVER_ID)
    for (const line of [
      `${app.healthUrl}?token=${encodeURIComponent(sim.token)}`,
      `${app.healthUrl}#${Buffer.from(sim.token).toString('base64')}`,
      app.healthUrl.replace('http://', `http://ci:${sim.token}@`)
    ]) {
      const result = await verify(sim, {
        api_token: sim.token,
        health_url: `${app.tcpUrl}\n${line}`
      })
      expect(result.exitCode).toBe(1)
      expect(errorLine(result)).toMatch(/^Input 'health_url' line 2 holds the api_token /)
      expect(app.requests).toEqual([])
    }
  })

  it('an invalid health_url line is refused without its password; settings that can never pass are refused', async () => {
    const sim = await simulator({ app: {} })
    const bad = await verify(sim, { health_url: 'http://monitor:app-s3cret@[::1/health' })
    expect(bad.exitCode).toBe(1)
    expect(errorLine(bad)).toMatch(
      /^Input 'health_url' line 1 must be one http:\/\/, https:\/\/ or tcp:\/\/host:port URL/
    )
    for (const place of [bad.log, bad.summary]) {
      expect(place).not.toContain('app-s3cret')
      expect(place).not.toContain('monitor')
    }
    const short = await verify(sim, {
      health_url: sim.app(SERVER_ID).healthUrl,
      health_timeout: '2s',
      health_threshold: '3'
    })
    expect(short.exitCode).toBe(1)
    expect(errorLine(short)).toBe(
      `Input 'health_timeout' must be longer than the 2s that health_threshold: 3 needs (its rounds after the first come 1s apart): raise health_timeout or lower health_threshold, got "2s".`
    )
    expect(sim.app(SERVER_ID).requests).toEqual([])
  })
})
