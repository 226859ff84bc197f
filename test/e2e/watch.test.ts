import { describe, expect, it } from 'vitest'
import type { App } from '../../simulator/app.js'
import type { StepResult } from '../../scripts/local-runner.js'
import { SERVER_ID, errorLine, simulator, step } from './fixture.js'

/*
 * health_watch through dist/: mode: verify against the simulator's app on loopback, which the
 * test breaks (or blips) as soon as the step says the watch has begun.
 */

const WATCHING = 'Watching the app for'

/** mode: verify with a watch; `during` acts on the app once the watch has begun. */
async function gate(
  inputs: Record<string, string>,
  during: (app: App) => void = () => {}
): Promise<{ result: StepResult; app: App; watchFrom: number }> {
  const sim = await simulator({ app: {} })
  const app = sim.app(SERVER_ID)
  let log = ''
  let watchFrom = 0
  const result = await step(
    sim,
    { mode: 'verify', api_token: '', server_id: '', health_url: app.healthUrl, ...inputs },
    {
      onLog: (chunk) => {
        log += chunk
        if (!watchFrom && log.includes(WATCHING)) {
          watchFrom = Date.now()
          during(app)
        }
      }
    }
  )
  return { result, app, watchFrom }
}

describe('mode: verify with health_watch', () => {
  it('an app healthy throughout: checked for the whole watch, then green', async () => {
    const { result, app, watchFrom } = await gate({ health_watch: '3s' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toEqual({ health: 'healthy' })
    expect(result.log).toMatch(/The app stayed healthy through the 3s watch: \d+ rounds\./)
    // Rounds went on through the watch, a second apart (a tenth of 3 s is less than 1 s).
    const watched = app.requests.filter((r) => r.at > watchFrom)
    expect(watched.length).toBeGreaterThanOrEqual(3)
    expect(watched.at(-1)!.at - watchFrom).toBeGreaterThanOrEqual(2500)
    expect(result.summary).toContain('stayed healthy through the 3s watch')
  })

  it('an app that breaks during the watch fails the step at once, saying which check, what it answered, how far in', async () => {
    const { result, app, watchFrom } = await gate({ health_watch: '30s' }, (a) => {
      a.fault = 'broken'
    })
    expect(result.exitCode).toBe(1)
    expect(result.outputs.health).toBe('unhealthy')
    expect(errorLine(result)).toMatch(
      new RegExp(
        `^The app became healthy, then broke [\\d.]+s into the 30s watch \\(health_watch\\): ${app.healthUrl} answered HTTP 500, 2 rounds in a row\\. This step fails: `
      )
    )
    // At once: within a round (3 s, a tenth of the watch) and the confirming one, not at 30 s.
    const last = app.requests.at(-1)!.at
    expect(last - watchFrom).toBeLessThan(10_000)
    expect(result.summary).toContain('not healthy: this step fails')
    expect(result.summary).toMatch(
      /<strong>Watch \(health_watch\):<\/strong> broke [\d.]+s into the 30s watch: /
    )
  }, 30_000)

  it('one blip below health_threshold is tolerated and counted: green at the end of the watch', async () => {
    const { result } = await gate({ health_watch: '3s' }, (a) => {
      a.failNext = 1
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.health).toBe('healthy')
    expect(result.log).toMatch(
      /The app stayed healthy through the 3s watch: \d+ rounds, 1 failing round tolerated \(fewer than 2 in a row\)\./
    )
    expect(result.summary).toContain('1 failing round tolerated')
    expect(result.summary).toContain('answered HTTP 503')
  })

  it.each([
    [{ health_watch: 'soon' }, /^Input 'health_watch' must be a duration up to 24h/],
    [
      { health_watch: '10m', timeout: '12m' },
      /^Input 'health_watch' with health_timeout \(5m\) must fit in the step's timeout \(12m\)/
    ]
  ])('%j: an input error before any request', async (inputs, message) => {
    const { result, app } = await gate(inputs)
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(message)
    expect(app.requests).toEqual([])
  })

  it('health_watch with mode: restore: an input error before any request', async () => {
    const sim = await simulator({ app: {} })
    const { id } = sim.addBackup({ serverId: SERVER_ID })
    const result = await step(sim, {
      mode: 'restore',
      backup_id: String(id),
      health_url: sim.app(SERVER_ID).healthUrl,
      health_watch: '3s'
    })
    expect(result.exitCode).toBe(1)
    expect(errorLine(result)).toMatch(/^Input 'health_watch' is only for mode: verify/)
    expect(sim.requests).toEqual([])
  })
})
