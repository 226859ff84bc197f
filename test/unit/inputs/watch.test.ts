import { afterEach, describe, expect, it } from 'vitest'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'

/** health_watch (inputs/watch.ts): its forms, and the inputs it must fit with. */

describe('the health_watch input', () => {
  afterEach(closeAgents)
  const APP = 'https://shop.example.com/health'

  it.each(['', '0', '0s', ' \t', ' 0s '])('%j: no watch', (text) => {
    const { rt } = setup({ mode: 'verify', server_id: '', health_url: APP, health_watch: text })
    expect(rt.settings.health.watchMs).toBe(0)
  })

  it.each([
    ['90', 90_000],
    ['3m', 180_000],
    ['1h30m', 5_400_000],
    [' 3m ', 180_000]
  ])('%j: the same forms as timeout', (text, ms) => {
    const { rt } = setup({ mode: 'verify', server_id: '', health_url: APP, health_watch: text })
    expect(rt.settings.health.watchMs).toBe(ms)
  })

  it.each([
    [
      { mode: 'restore', backup_id: '7', health_url: APP, health_watch: '3m' },
      "Input 'health_watch' is only for mode: verify (the deploy gate keeps checking the app for that long once it is healthy), not mode: restore."
    ],
    [
      { mode: 'verify', server_id: '', health_url: APP, health_watch: 'soon' },
      `Input 'health_watch' must be a duration up to 24h: seconds (900) or with a unit (90s, 15m, 1h, 1h30m), got "soon".`
    ],
    [
      { mode: 'verify', server_id: '', health_url: APP, health_watch: '28m' },
      `Input 'health_watch' with health_timeout (5m) must fit in the step's timeout (30m): raise timeout, or lower health_watch or health_timeout, got "28m".`
    ]
  ])('refused before any request: %j', (inputs, message) => {
    expect(() => setup({ timeout: '', ...inputs })).toThrow(message)
  })

  it('health_timeout + health_watch equal to timeout fits', () => {
    const { rt } = setup({
      mode: 'verify',
      server_id: '',
      health_url: APP,
      timeout: '10m',
      health_timeout: '2m',
      health_watch: '8m'
    })
    expect(rt.settings.health.watchMs).toBe(8 * 60_000)
  })
})
