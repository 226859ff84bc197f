import { type IncomingHttpHeaders, type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { HealthCheck } from '../../src/health.js'
import { MAX_BODY_BYTES, createProber } from '../../src/health-probe.js'

/*
 * The probe edge against real loopback servers: what the body limit and the redirects do, and
 * which headers leave the runner.
 */

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        })
    )
  )
})

/** A loopback server answering every request with `handler`; returns its origin and headers seen. */
async function serve(
  handler: (
    path: string,
    respond: (status: number, body?: string, location?: string) => void
  ) => void
): Promise<{ origin: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    seen.push(req.headers)
    handler(req.url ?? '/', (status, body = '', location) => {
      res.writeHead(status, location ? { location } : {}).end(body)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

const probe = (check: HealthCheck, contains = '') =>
  createProber({ dispatcher: new Agent(), userAgent: 'test-agent', contains })(
    check,
    new AbortController().signal
  )

describe('createProber: http checks', () => {
  it('health_contains looks at the first 1 MiB of the body only', async () => {
    const { origin } = await serve((path, respond) =>
      respond(
        200,
        path === '/late'
          ? `${'x'.repeat(MAX_BODY_BYTES)}healthy`
          : `healthy${'x'.repeat(2 * MAX_BODY_BYTES)}`
      )
    )
    expect(await probe({ kind: 'http', target: `${origin}/early` }, 'healthy')).toEqual({
      ok: true,
      answer: 'HTTP 200'
    })
    expect(await probe({ kind: 'http', target: `${origin}/late` }, 'healthy')).toEqual({
      ok: false,
      answer: 'HTTP 200 without the health_contains text in the body'
    })
  })

  it('sends the user-info as Basic authentication to its own origin only, never across a redirect', async () => {
    const other = await serve((_, respond) => respond(200, 'ok'))
    const own = await serve((path, respond) =>
      path === '/away' ? respond(302, '', `${other.origin}/health`) : respond(200, 'ok')
    )
    const credentials = { username: 'mon', password: 'pw' }
    const basic = `Basic ${Buffer.from('mon:pw').toString('base64')}`
    expect((await probe({ kind: 'http', target: `${own.origin}/away`, credentials })).ok).toBe(true)
    expect(own.seen.map((h) => h.authorization)).toEqual([basic])
    expect(other.seen.map((h) => h.authorization)).toEqual([undefined])
    expect(other.seen[0]!['user-agent']).toBe('test-agent')
  })

  it('a refused connection is a failing answer, not an error', async () => {
    const { origin } = await serve((_, respond) => respond(200))
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()))
    const result = await probe({ kind: 'http', target: `${origin}/health` })
    expect(result.ok).toBe(false)
    expect(result.answer).toMatch(/^network error: ECONNREFUSED/)
  })
})
