import type { ProbeResult } from '../../src/health/probing.js'
import type { HealthCheck } from '../../src/inputs/settings.js'

/** An HTTP check and a TCP check, for the app checks' unit tests. */
export const WEB: HealthCheck = { kind: 'http', target: 'https://shop.example.com/health' }
export const DB: HealthCheck = {
  kind: 'tcp',
  target: 'tcp://db.example.com:5432',
  host: 'db.example.com',
  port: 5432
}

/** A healthy probe's result. */
export const UP: ProbeResult = { ok: true, answer: 'HTTP 200' }
