import { afterEach, describe, expect, it } from 'vitest'
import { CancelledError } from '../../../src/common/errors.js'
import { type Fetch, guardedFetch } from '../../../src/github/fetch.js'
import { isTransient } from '../../../src/vpsorg/retry.js'

import { TOKEN, closeFakes, github, reader, reading } from '../../helpers/github-reading.js'
import { rejection } from '../../helpers/rejection.js'
import type { FakeAnswer } from '../../../simulator/github.js'

/**
 * The guarded fetch of the GitHub reads (github/fetch.ts): the token's origin, the size cap, retries and waits, through Octokit, against the loopback fake GitHub (simulator/github.ts) over real HTTP,
 * on a fake clock (test/helpers/github-reading.ts).
 */

afterEach(closeFakes)

describe('gitHubReader: the token goes only to GITHUB_API_URL', () => {
  it('a next-page link to another origin is an error, not a request', async () => {
    const elsewhere = await github()
    const fake = await github({
      pageSize: 1,
      linkTo: elsewhere.url.replace('127.0.0.1', 'localhost')
    })
    const r = reading(fake.url)
    const error = await rejection(reader(r).listJobs(555))
    expect(error.message).toBe(
      `Could not list the jobs of run 555 of acme/shop from the GitHub API: the API pointed to another origin (${elsewhere.url.replace('127.0.0.1', 'localhost')}); github_token is only sent to ${fake.url}.`
    )
    expect(fake.requests).toHaveLength(1)
    expect(elsewhere.requests).toEqual([])
    expect(r.clock.sleeps).toEqual([])
  })

  it.each([300, 302, 304, 399])('a redirect (%i) is not followed', async (status) => {
    const elsewhere = await github()
    const fake = await github()
    fake.answerNext({ status, raw: '', headers: { location: `${elsewhere.url}/x` } })
    const error = await rejection(reader(reading(fake.url)).getRun(555))
    expect(error.message).toBe(
      `Could not read run 555 of acme/shop from the GitHub API: the API answered HTTP ${status}, a redirect; redirects are not followed, so that github_token is only sent to ${fake.url}.`
    )
    expect(elsewhere.requests).toEqual([])
    expect(fake.requests).toHaveLength(1)
  })

  it('a next-page link that is no URL fails the read', async () => {
    const fake = await github()
    fake.answerNext({
      status: 200,
      body: { total_count: 2, jobs: [] },
      headers: { link: '<http://[bad>; rel="next"' }
    })
    const error = await rejection(reader(reading(fake.url)).listJobs(555))
    expect(error.message).toBe(
      'Could not list the jobs of run 555 of acme/shop from the GitHub API: Invalid URL.'
    )
  })

  it('scrubs the token from everything GitHub sends, in any encoding, before anyone reads it', async () => {
    const fake = await github()
    const base64 = Buffer.from(TOKEN).toString('base64')
    fake.answerNext(
      {
        status: 200,
        body: { total_count: 1, jobs: [{ steps: [{ name: `Deploy ${TOKEN}` }, { name: base64 }] }] }
      },
      { status: 422, body: { message: `bad token ${encodeURIComponent(TOKEN)}` } }
    )
    const jobs = await reader(reading(fake.url)).listJobs(555)
    expect(jobs[0]!.steps.map((s) => s.name)).toEqual(['Deploy ***', '***'])
    const error = await rejection(reader(reading(fake.url)).getRun(555))
    expect(error.message).toBe(
      'Could not read run 555 of acme/shop from the GitHub API: HTTP 422: bad token ***.'
    )
  })

  it('reads an answer of exactly the size cap', async () => {
    const fake = await github()
    const raw = JSON.stringify({ id: 555, repository: { full_name: 'acme/shop' } })
    fake.answerNext({ status: 200, raw, headers: { 'content-type': 'application/json' } })
    const r = reading(fake.url, { maxBodyBytes: Buffer.byteLength(raw) })
    expect((await reader(r).getRun(555)).id).toBe(555)
  })

  it('caps the size of an answer', async () => {
    const fake = await github({ padBytes: 70_000 })
    const r = reading(fake.url, { maxBodyBytes: 64 * 1024 })
    const error = await rejection(reader(r).listJobs(555))
    expect(error.message).toBe(
      'Could not list the jobs of run 555 of acme/shop from the GitHub API: the answer was larger than 65536 bytes.'
    )
    expect(fake.requests).toHaveLength(1)
  })
})

describe('gitHubReader: failures, retries and rate limits', () => {
  it('retries a 502, then reads the answer', async () => {
    const fake = await github()
    fake.answerNext({ status: 502, body: { message: 'Server Error' } })
    const r = reading(fake.url)
    expect((await reader(r).getRun(555)).id).toBe(555)
    expect(fake.requests).toHaveLength(2)
    expect(r.clock.sleeps).toEqual([750])
    expect(r.log.of('info')).toEqual([
      'Could not read /repos/acme/shop/actions/runs/555 from the GitHub API: HTTP 502: Server Error. Retrying in 0.8s (attempt 2 of 5)'
    ])
  })

  it('an empty or HTML 502 is named by its status, the token scrubbed from the page', async () => {
    const fake = await github()
    fake.answerNext(
      { status: 502, raw: '' },
      { status: 502, raw: `<html><title>Bad gateway ${TOKEN}</title></html>` }
    )
    const r = reading(fake.url)
    await reader(r).getRun(555)
    expect(r.log.of('info').map((line) => line.replace(/\. Retrying.*/, ''))).toEqual([
      'Could not read /repos/acme/shop/actions/runs/555 from the GitHub API: HTTP 502: Bad Gateway',
      'Could not read /repos/acme/shop/actions/runs/555 from the GitHub API: HTTP 502: Bad Gateway (an HTML page titled "Bad gateway ***", likely from a proxy or load balancer)'
    ])
  })

  it('honours Retry-After on a 503', async () => {
    const fake = await github()
    fake.answerNext({ status: 503, headers: { 'retry-after': '7' } })
    const r = reading(fake.url)
    await reader(r).getRun(555)
    expect(r.clock.sleeps).toEqual([7000])
  })

  it('gives up after five attempts and says what GitHub answered', async () => {
    const fake = await github()
    const down = { status: 500, body: { message: 'Down' } }
    fake.answerNext(down, down, down, down, down, down)
    const r = reading(fake.url)
    const error = await rejection(reader(r).getRun(555))
    expect(error.message).toBe(
      'Could not read run 555 of acme/shop from the GitHub API: HTTP 500: Down.'
    )
    expect(fake.requests).toHaveLength(5)
    expect(r.clock.sleeps).toHaveLength(4)
  })

  it('a network failure is retried, then fails the read', async () => {
    const fake = await github()
    const url = fake.url
    await fake.close()
    const r = reading(url)
    const error = await rejection(reader(r).getRun(555))
    expect(error.message).toMatch(
      /^Could not read run 555 of acme\/shop from the GitHub API: network error: ECONNREFUSED/
    )
    expect(r.clock.sleeps).toHaveLength(4)
  })

  it('a request that gets no answer ends at its share of the deadline, and is retried', async () => {
    let calls = 0
    const hang: Fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        calls++
        init.signal!.addEventListener('abort', () => reject(init.signal!.reason as Error))
      })
    const r = reading('https://api.github.com', { fetch: hang, requestTimeoutMs: 1 })
    r.options.deadline = r.clock.now() + 2000
    const error = await rejection(reader(r).getRun(555))
    expect(error.message).toBe(
      'Could not read run 555 of acme/shop from the GitHub API: no answer within 1s.'
    )
    expect(calls).toBe(2)
  })

  it('each request gets at most a third of the time left', async () => {
    const hang: Fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal!.addEventListener('abort', () => {
          r.clock.advance(3000)
          reject(init.signal!.reason as Error)
        })
      })
    const r = reading('https://api.github.com', { fetch: hang })
    r.options.deadline = r.clock.now() + 6000
    const error = await rejection(reader(r).getRun(555))
    expect(r.log.of('info')[0]).toMatch(/: no answer within 2s\. Retrying in/)
    expect(error.message).toBe(
      'Could not read run 555 of acme/shop from the GitHub API: no answer within 1s.'
    )
  })

  it('a cancelled workflow ends the read as a cancellation', async () => {
    const hang: Fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        if (init.signal!.aborted) reject(new Error('aborted'))
        init.signal!.addEventListener('abort', () => reject(new Error('aborted')))
      })
    const r = reading('https://api.github.com', { fetch: hang })
    const read = reader(r).getRun(555)
    r.controller.abort()
    expect(await rejection(read)).toBeInstanceOf(CancelledError)
    expect(r.log.lines).toEqual([])
  })

  it('waits for a primary rate limit to reset (x-ratelimit-reset), then reads', async () => {
    const fake = await github()
    const r = reading(fake.url)
    const start = r.clock.now()
    const reset = Math.floor(start / 1000) + 30
    fake.answerNext({
      status: 403,
      body: { message: 'API rate limit exceeded for installation ID 1.' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }
    })
    expect((await reader(r).listJobs(555)).length).toBe(2)
    expect(r.clock.sleeps).toEqual([reset * 1000 - start])
  })

  it.each([
    ['a secondary rate limit (403) with Retry-After', 403, { 'retry-after': '5' }, 5000],
    ['a secondary rate limit (403) without Retry-After', 403, {}, 60_000],
    ['a 429', 429, {}, 60_000]
  ])('waits out %s', async (_, status, headers, wait) => {
    const fake = await github()
    fake.answerNext({
      status,
      body: { message: 'You have exceeded a secondary rate limit.' },
      headers
    })
    const r = reading(fake.url)
    await reader(r).getRun(555)
    expect(r.clock.sleeps).toEqual([wait])
  })
})

describe('guardedFetch: what a request is called, and which are sent again', () => {
  /** One request to a fake GitHub that first gives `answers`: what came back, how many were sent, the log. */
  async function send(path: string, init: RequestInit, ...answers: FakeAnswer[]) {
    const fake = await github()
    fake.answerNext(...answers)
    const r = reading(fake.url)
    const answer = await guardedFetch(r.options)(`${fake.url}${path}`, {
      ...init,
      headers: { authorization: `token ${TOKEN}` }
    })
    return { status: answer.status, sent: fake.requests.length, log: r.log.of('info') }
  }
  const serverError = { status: 502, body: { message: 'Server Error' } }

  it('a request without a method is a read: named so, and sent again after a 502', async () => {
    expect(await send('/repos/acme/shop/actions/runs/555', {}, serverError)).toEqual({
      status: 200,
      sent: 2,
      log: [
        'Could not read /repos/acme/shop/actions/runs/555 from the GitHub API: HTTP 502: Server Error. Retrying in 0.8s (attempt 2 of 5)'
      ]
    })
  })

  it('a request that sends something is named so, and sent again only after a rate limit', async () => {
    const rateLimit = {
      status: 429,
      body: { message: 'API rate limit exceeded' },
      headers: { 'retry-after': '1' }
    }
    const body = JSON.stringify({ ref: 'main', environment: 'production' })
    expect(
      await send('/repos/acme/shop/deployments', { method: 'post', body }, rateLimit, serverError)
    ).toEqual({
      status: 502,
      sent: 2,
      log: [
        'Could not send /repos/acme/shop/deployments to the GitHub API: HTTP 429: API rate limit exceeded. Retrying in 1s, as the API asked (Retry-After)'
      ]
    })
  })

  it('a request to another origin is refused for good: sending it again cannot help', async () => {
    const elsewhere = await github()
    const fake = await github()
    const other = elsewhere.url.replace('127.0.0.1', 'localhost')
    const error = await rejection(guardedFetch(reading(fake.url).options)(`${other}/x`, {}))
    expect(error.message).toBe(
      `Could not read /x from the GitHub API: the API pointed to another origin (${other}); github_token is only sent to ${fake.url}`
    )
    expect(isTransient(error)).toBe(false)
    expect(elsewhere.requests).toEqual([])
  })
})
