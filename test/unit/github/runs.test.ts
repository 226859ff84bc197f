import { afterEach, describe, expect, it, vi } from 'vitest'
import { logLine } from '../../../src/common/untrusted.js'
import { MAX_PAGES, stepNames, stepStarted } from '../../../src/github/runs.js'
import {
  RUN,
  TOKEN,
  closeFakes,
  github,
  job,
  reader,
  reading
} from '../../helpers/github-reading.js'
import { AT, job as runJob, step } from '../../helpers/job-steps.js'
import { rejection } from '../../helpers/rejection.js'

/**
 * The GitHub reads of only_if_step_started (github/runs.ts): what a run and its jobs are, and one line for each failure, through Octokit, against the loopback fake GitHub (simulator/github.ts) over real HTTP,
 * on a fake clock (test/helpers/github-reading.ts).
 */

afterEach(closeFakes)

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

describe('gitHubReader: one line for each failure', () => {
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

describe('logLine and stepNames: GitHub text for one log line', () => {
  it('neutralises workflow commands and controls, folds white space, bounds the length', () => {
    expect(logLine('  ::error::x\n##[group]y\u202e  ')).toBe(': :error::x ## [group]y')
    expect(logLine('x'.repeat(300))).toHaveLength(200)
    expect(logLine('x'.repeat(300)).endsWith('x…')).toBe(true)
    expect(logLine('a  \t b')).toBe('a b')
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

describe('stepStarted', () => {
  it.each([
    ['running', step('Deploy', 'in_progress', null, AT)],
    ['finished', step('Deploy', 'completed', 'success', AT)],
    ['failed', step('Deploy', 'completed', 'failure', AT)],
    ['cancelled while running', step('Deploy', 'completed', 'cancelled', AT)],
    ['finished, without a start time', step('Deploy', 'completed', 'success')]
  ])('a step %s had started', (_, deploy) => {
    expect(
      stepStarted([runJob([step('Back up', 'completed', 'success', AT), deploy])], 'Deploy')
    ).toBe(true)
  })

  it.each([
    ['skipped', step('Deploy', 'completed', 'skipped', AT)],
    ['cancelled before it was reached', step('Deploy', 'completed', 'cancelled')],
    ['queued', step('Deploy', 'queued', null)],
    ['of another name', step('Deploy staging', 'completed', 'success', AT)],
    ['named in another case', step('deploy', 'completed', 'success', AT)]
  ])('a step %s had not', (_, deploy) => {
    expect(stepStarted([runJob([deploy])], 'Deploy')).toBe(false)
  })

  it('any job: one started step of that name is enough', () => {
    const jobs = [
      runJob([step('Deploy', 'completed', 'skipped', AT)]),
      runJob([step('Deploy', 'completed', 'failure', AT)], 1, 'other')
    ]
    expect(stepStarted(jobs, 'Deploy')).toBe(true)
  })
})
