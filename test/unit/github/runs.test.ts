import { afterEach, describe, expect, it, vi } from 'vitest'
import { CancelledError } from '../../../src/common/errors.js'
import {
  type Fetch,
  type GitHubOptions,
  MAX_PAGES,
  gitHubReader,
  oneLine,
  stepNames
} from '../../../src/github/runs.js'
import { type FakeJob, type FakeRun, FakeGitHub } from '../../../simulator/github.js'
import { type FakeClock, fakeClock } from '../../helpers/fake-clock.js'
import { type MemoryLogger, memoryLogger } from '../../helpers/memory-logger.js'
import { rejection } from '../../helpers/rejection.js'

/**
 * The GitHub reads of only_if_step_started, through Octokit and the guarded fetch, against the
 * loopback fake GitHub (simulator/github.ts) over real HTTP, on a fake clock.
 */

const TOKEN = 'ghs_UnitTestToken2222222222222222222222'
const fakes: FakeGitHub[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()))
})

const done = { status: 'completed', conclusion: 'success', started_at: '2026-11-27T10:00:00Z' }
const job = (name: string, steps: string[], attempt = 1): FakeJob => ({
  name,
  attempt,
  steps: steps.map((step) => ({ name: step, ...done }))
})
const RUN: FakeRun = {
  id: 555,
  repository: 'acme/shop',
  status: 'completed',
  conclusion: 'cancelled',
  jobs: [job('deploy', ['Back up', 'Deploy']), job('deploy', ['Back up'], 2)]
}

async function github(options: Partial<Parameters<typeof FakeGitHub.start>[0]> = {}) {
  const fake = await FakeGitHub.start({ token: TOKEN, runs: [RUN], ...options })
  fakes.push(fake)
  return fake
}

interface Reading {
  clock: FakeClock
  log: MemoryLogger
  controller: AbortController
  options: GitHubOptions
}

function reading(apiUrl: string, overrides: Partial<GitHubOptions> = {}): Reading {
  const clock = fakeClock()
  const log = memoryLogger()
  const controller = new AbortController()
  const options: GitHubOptions = {
    token: TOKEN,
    repository: 'acme/shop',
    apiUrl,
    signal: controller.signal,
    deadline: clock.now() + 15 * 60_000,
    clock,
    random: () => 0.5,
    log,
    ...overrides
  }
  return { clock, log, controller, options }
}

const reader = (r: Reading) => gitHubReader(r.options)

describe('gitHubReader: what it reads', () => {
  it('reads the run, then the jobs of every attempt, with the token, only from GITHUB_API_URL', async () => {
    const fake = await github({ pageSize: 1 })
    const r = reading(fake.url)
    expect(await reader(r).getRun(555)).toEqual({
      id: 555,
      repository: 'acme/shop',
      htmlUrl: 'https://github.com/acme/shop/actions/runs/555',
      status: 'completed',
      conclusion: 'cancelled'
    })
    const jobs = await reader(r).listJobs(555)
    expect(jobs.map((j) => [j.attempt, j.steps.map((s) => s.name)])).toEqual([
      [1, ['Back up', 'Deploy']],
      [2, ['Back up']]
    ])
    expect(jobs[0]!.steps[1]).toEqual({
      name: 'Deploy',
      status: 'completed',
      conclusion: 'success',
      startedAt: '2026-11-27T10:00:00Z'
    })
    expect(fake.requests.map((q) => [q.path, q.query.filter, q.query.page])).toEqual([
      ['/repos/acme/shop/actions/runs/555', undefined, undefined],
      ['/repos/acme/shop/actions/runs/555/jobs', 'all', undefined],
      ['/repos/acme/shop/actions/runs/555/jobs', 'all', '2']
    ])
    for (const q of fake.requests) expect(q.headers.authorization).toBe(`token ${TOKEN}`)
    expect(r.clock.sleeps).toEqual([])
  })

  it.each([
    ['another run', { id: 556, repository: { full_name: 'acme/shop' } }],
    ['no repository', { id: 555, repository: 'acme/shop' }],
    ['a repository without a name', { id: 555, repository: { full_name: 7 } }],
    ['a list', [{ id: 555, repository: { full_name: 'acme/shop' } }]],
    ['null', null]
  ])('refuses an answer that is not the run asked for: %s', async (_, body) => {
    const fake = await github()
    fake.answerNext({ status: 200, body })
    const error = await rejection(reader(reading(fake.url)).getRun(555))
    expect(error.message).toBe(
      'The GitHub API answered the request for run 555 with something that is not that run; nothing was restored.'
    )
  })

  it('jobs that are not a list are none; an answer without them fails the read', async () => {
    const fake = await github()
    fake.answerNext({ status: 200, body: { total_count: 1, jobs: { id: 1 } } })
    expect(await reader(reading(fake.url)).listJobs(555)).toEqual([])
    fake.answerNext({ status: 200, body: { total_count: 0 } })
    const error = await rejection(reader(reading(fake.url)).listJobs(555))
    expect(error.message).toMatch(
      /^Could not list the jobs of run 555 of acme\/shop from the GitHub API: /
    )
  })

  it("keeps GitHub's deprecation notices out of the log (Octokit would print them)", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    try {
      const fake = await github()
      fake.answerNext({
        status: 200,
        body: { id: 555, repository: { full_name: 'acme/shop' } },
        headers: {
          deprecation: 'true',
          sunset: '##[error]x',
          link: '<https://x>; rel="deprecation"'
        }
      })
      await reader(reading(fake.url)).getRun(555)
      expect(warn).not.toHaveBeenCalled()
    } finally {
      warn.mockRestore()
    }
  })

  it('takes what is missing or of the wrong type as unknown, not as started', async () => {
    const fake = await github()
    fake.answerNext(
      { status: 200, body: { id: 555, repository: { full_name: 'acme/shop' }, status: 7 } },
      {
        status: 200,
        body: {
          total_count: 2,
          jobs: [
            { run_attempt: 0, steps: [{ name: 5 }, 'x'] },
            { run_attempt: 'two', steps: 'none' },
            'y',
            [],
            null
          ]
        }
      }
    )
    const run = await reader(reading(fake.url)).getRun(555)
    expect(run).toMatchObject({ status: 'unknown', conclusion: null, htmlUrl: undefined })
    expect(await reader(reading(fake.url)).listJobs(555)).toEqual([
      {
        name: '',
        attempt: 1,
        steps: [{ name: '', status: 'unknown', conclusion: null, startedAt: null }]
      },
      { name: '', attempt: 1, steps: [] }
    ])
  })

  it.each([204, 205])('an empty answer (%i) is not the run', async (status) => {
    const fake = await github()
    fake.answerNext({ status })
    const error = await rejection(reader(reading(fake.url)).getRun(555))
    expect(error.message).toBe(
      'The GitHub API answered the request for run 555 with something that is not that run; nothing was restored.'
    )
    expect(fake.requests).toHaveLength(1)
  })

  it(`stops after ${MAX_PAGES} pages of jobs: the run reader's page cap fails the read`, async () => {
    const many = Array.from({ length: MAX_PAGES + 1 }, (_, i) => job(`j${i}`, ['Deploy']))
    const fake = await github({ runs: [{ ...RUN, jobs: many }], pageSize: 1 })
    const error = await rejection(reader(reading(fake.url)).listJobs(555))
    expect(error.message).toBe(
      `Could not list the jobs of run 555 of acme/shop from the GitHub API: more than ${MAX_PAGES} pages of jobs.`
    )
    expect(fake.requests).toHaveLength(MAX_PAGES + 1)
  })
})

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

  it('a rate limit that resets after the deadline is named as one, not as a missing permission', async () => {
    const fake = await github()
    const r = reading(fake.url)
    const reset = Math.floor(r.options.deadline / 1000) + 60
    fake.answerNext({
      status: 403,
      body: { message: 'API rate limit exceeded' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }
    })
    const error = await rejection(reader(r).getRun(555))
    expect(error.message).toBe(
      `Could not read run 555 of acme/shop from the GitHub API: HTTP 403: API rate limit exceeded. GitHub's API rate limit for github_token is reached until ${new Date(reset * 1000).toISOString()} (not a missing permission): run the rollback again once it resets.`
    )
    expect(error.message).not.toContain('actions: read')
    expect(r.clock.sleeps).toEqual([])
    expect(fake.requests).toHaveLength(1)
  })

  it.each(['Infinity', '1e20', '-5', 'soon', '100000000000'])(
    'a reset time GitHub cannot mean (%s): waits a minute, names none',
    async (reset) => {
      const fake = await github()
      const r = reading(fake.url)
      r.options.deadline = r.clock.now() + 90_000
      const limited = {
        status: 403,
        body: { message: 'Forbidden' },
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }
      }
      fake.answerNext(limited, limited)
      const error = await rejection(reader(r).getRun(555))
      expect(r.clock.sleeps).toEqual([60_000])
      expect(error.message).toBe(
        "Could not read run 555 of acme/shop from the GitHub API: HTTP 403: Forbidden. GitHub's API rate limit for github_token is reached (not a missing permission): run the rollback again once it resets."
      )
    }
  )

  it('a secondary rate limit past the deadline is named as one', async () => {
    const fake = await github()
    const r = reading(fake.url)
    fake.answerNext({
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit' },
      headers: { 'retry-after': '3600' }
    })
    const error = await rejection(reader(r).getRun(555))
    expect(error.message).toContain("GitHub's API rate limit for github_token is reached (not")
    expect(fake.requests).toHaveLength(1)
  })

  it('x-ratelimit-remaining: 0 on another status is no rate limit', async () => {
    const fake = await github()
    fake.answerNext({
      status: 404,
      body: { message: 'Not Found' },
      headers: { 'x-ratelimit-remaining': '0' }
    })
    const error = await rejection(reader(reading(fake.url)).getRun(555))
    expect(error.message).toContain('github_token needs `actions: read`')
  })

  it('a 429 without a reset time is named a rate limit too', async () => {
    const fake = await github()
    const r = reading(fake.url, {})
    r.options.deadline = r.clock.now() + 30_000
    fake.answerNext({ status: 429, body: {} })
    const error = await rejection(reader(r).getRun(555))
    expect(error.message).toBe(
      "Could not read run 555 of acme/shop from the GitHub API: HTTP 429. GitHub's API rate limit for github_token is reached (not a missing permission): run the rollback again once it resets."
    )
  })

  it.each([
    [
      403,
      'Resource not accessible by integration',
      "github_token needs `actions: read`: add it to the workflow's or the job's permissions (a 404 also means no such run in acme/shop)."
    ],
    [404, 'Not Found', 'github_token needs `actions: read`'],
    [401, 'Bad credentials', 'github_token was refused.'],
    [422, 'Validation failed. Try again.', ''],
    [400, 'Bad request', '']
  ])('HTTP %i is not retried: one line naming what to do', async (status, message, advice) => {
    const fake = await github()
    fake.answerNext({ status, body: { message } })
    const r = reading(fake.url)
    const error = await rejection(reader(r).listJobs(555))
    expect(error.message).toContain(
      `Could not list the jobs of run 555 of acme/shop from the GitHub API: HTTP ${status}: ${message.replace(/\.$/, '')}.${advice ? ` ${advice}` : ''}`
    )
    expect(fake.requests).toHaveLength(1)
    expect(r.clock.sleeps).toEqual([])
  })

  it('the token itself refused: 401', async () => {
    const fake = await github()
    const error = await rejection(reader(reading(fake.url, { token: 'ghs_other' })).getRun(555))
    expect(error.message).toBe(
      'Could not read run 555 of acme/shop from the GitHub API: HTTP 401: Bad credentials. github_token was refused.'
    )
  })
})

describe('oneLine and stepNames: GitHub text for one log line', () => {
  it('neutralises workflow commands and controls, folds white space, bounds the length', () => {
    expect(oneLine('  ::error::x\n##[group]y\u202e  ')).toBe(': :error::x ## [group]y')
    expect(oneLine('x'.repeat(300))).toHaveLength(200)
    expect(oneLine('a  \t b')).toBe('a b')
  })

  it('lists each name once, quoted, at most 20, each at most 60 characters', () => {
    const jobs = [
      { name: 'a', attempt: 1, steps: ['Lint', 'Lint', '::warning::x'].map(stepOf) },
      { name: 'b', attempt: 2, steps: Array.from({ length: 22 }, (_, i) => stepOf(`s${i}`)) }
    ]
    const line = stepNames(jobs)
    expect(line).toMatch(/^'Lint', ': :warning::x', 's0', .*, 's17' and 4 more$/)
    expect(stepNames([{ name: 'c', attempt: 1, steps: [stepOf('y'.repeat(90))] }])).toBe(
      `'${'y'.repeat(60)}'`
    )
    expect(stepNames([])).toBe('none')
    const twenty = [
      { name: 'd', attempt: 1, steps: Array.from({ length: 20 }, (_, i) => stepOf(`t${i}`)) }
    ]
    expect(stepNames(twenty)).toMatch(/'t19'$/)
  })
})

function stepOf(name: string) {
  return { name, status: 'completed', conclusion: 'success', startedAt: null }
}
