import { afterEach, describe, expect, it } from 'vitest'
import {
  MAX_DESCRIPTION,
  describe as describeStatus,
  gitHubDeployments,
  ledgerPayload
} from '../../../src/github/deployments.js'
import type { GitHubOptions } from '../../../src/github/fetch.js'
import { FakeGitHub } from '../../../simulator/github.js'
import { fakeClock } from '../../helpers/fake-clock.js'
import { memoryLogger } from '../../helpers/memory-logger.js'
import { rejection } from '../../helpers/rejection.js'

/**
 * The ledger's Deployments API requests, through Octokit and the guarded fetch, against the
 * loopback fake GitHub (simulator/github.ts) over real HTTP.
 */

const TOKEN = 'ghs_UnitTestToken3333333333333333333333'
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b'
const OTHER = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'
const PAYLOAD = {
  action: 'vpsorg/backup-action',
  run_id: 555,
  run_attempt: 1,
  backup_ids: { '12345': 501 }
} as const

const fakes: FakeGitHub[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()))
})

async function github(options: { refuseDeployments?: 403 | 404 } = {}) {
  const fake = await FakeGitHub.start({ token: TOKEN, runs: [], ...options })
  fakes.push(fake)
  return fake
}

function api(apiUrl: string, overrides: Partial<GitHubOptions> = {}) {
  const clock = fakeClock()
  const log = memoryLogger()
  return gitHubDeployments({
    token: TOKEN,
    repository: 'acme/shop',
    apiUrl,
    signal: new AbortController().signal,
    deadline: clock.now() + 60_000,
    clock,
    random: () => 0.5,
    log,
    ...overrides
  })
}

describe('gitHubDeployments', () => {
  it('creates a deployment as the issue asks, and sets its statuses', async () => {
    const fake = await github()
    const deployments = api(fake.url)
    const id = await deployments.create(SHA, 'production', PAYLOAD)
    await deployments.setStatus(id, {
      state: 'in_progress',
      description: 'Deploying',
      logUrl: 'https://github.com/acme/shop/actions/runs/555'
    })
    const [create, status] = fake.requests
    expect(create).toMatchObject({
      method: 'POST',
      path: '/repos/acme/shop/deployments',
      body: {
        ref: SHA,
        environment: 'production',
        task: 'deploy',
        auto_merge: false,
        required_contexts: [],
        payload: PAYLOAD
      }
    })
    expect(status).toMatchObject({
      path: `/repos/acme/shop/deployments/${id}/statuses`,
      body: { state: 'in_progress', log_url: 'https://github.com/acme/shop/actions/runs/555' }
    })
    expect(await deployments.latestStatus(id)).toEqual({
      state: 'in_progress',
      description: 'Deploying',
      logUrl: 'https://github.com/acme/shop/actions/runs/555'
    })
  })

  it('lists newest first, of the commit and environment asked only, payloads checked', async () => {
    const fake = await github()
    const old = fake.addDeployment({ sha: SHA, environment: 'production', payload: PAYLOAD })
    fake.addDeployment({ sha: OTHER, environment: 'production', payload: PAYLOAD })
    fake.addDeployment({ sha: SHA, environment: 'staging', payload: PAYLOAD })
    const foreign = fake.addDeployment({ sha: SHA, environment: 'production', payload: 'x' })
    const listed = await api(fake.url).list('production', SHA)
    expect(listed).toEqual([
      { id: foreign.id, sha: SHA, environment: 'production', payload: undefined },
      { id: old.id, sha: SHA, environment: 'production', payload: PAYLOAD }
    ])
    expect(fake.requests[0]!.query).toMatchObject({ sha: SHA, environment: 'production' })
    expect(await api(fake.url).list('production')).toHaveLength(3)
  })

  it('leaves out what GitHub answers for another commit or environment than asked', async () => {
    const fake = await github()
    fake.answerNext({
      status: 200,
      body: [
        { id: 9, sha: OTHER, environment: 'production', payload: PAYLOAD },
        { id: 8, sha: SHA, environment: 'staging', payload: PAYLOAD },
        { id: -1, sha: SHA, environment: 'production', payload: PAYLOAD },
        { id: 7, sha: SHA, environment: 'Production', payload: PAYLOAD }
      ]
    })
    expect(await api(fake.url).list('production', SHA)).toEqual([
      { id: 7, sha: SHA, environment: 'production', payload: PAYLOAD }
    ])
  })

  it('a refusal names deployments: write', async () => {
    const fake = await github({ refuseDeployments: 403 })
    const error = await rejection(api(fake.url).list('production', SHA))
    expect(error.message).toMatch(
      /^Could not list the deployments of production \(the GitHub API\): HTTP 403: Resource not accessible by integration\. github_token needs `deployments: write`/
    )
  })

  it('a creation is not sent again after a 502 (GitHub may have created it); a read is', async () => {
    const fake = await github()
    const bad = { status: 502, body: { message: 'Bad Gateway' }, headers: { 'retry-after': '0' } }
    fake.answerNext(bad)
    const error = await rejection(api(fake.url).create(SHA, 'production', PAYLOAD))
    expect(error.message).toContain('HTTP 502')
    expect(fake.requests).toHaveLength(1)
    fake.answerNext(bad)
    expect(await api(fake.url).list('production', SHA)).toEqual([])
    expect(fake.requests).toHaveLength(3)
  })

  it('a creation is sent again after a rate limit, which GitHub answers before acting', async () => {
    const fake = await github()
    fake.answerNext({
      status: 429,
      body: { message: 'API rate limit exceeded' },
      headers: { 'retry-after': '0' }
    })
    const id = await api(fake.url).create(SHA, 'production', PAYLOAD)
    expect(fake.deployments.map((d) => d.id)).toEqual([id])
    expect(fake.requests).toHaveLength(2)
  })

  it('the fake refuses a description over 140 characters, as GitHub does; describe() fits it', async () => {
    const fake = await github()
    const id = fake.addDeployment({ sha: SHA, environment: 'production' }).id
    const long = 'x'.repeat(141)
    const { status } = await fetch(`${fake.url}/repos/acme/shop/deployments/${id}/statuses`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}` },
      body: JSON.stringify({ state: 'failure', description: long })
    })
    expect(status).toBe(422)
    await api(fake.url).setStatus(id, { state: 'failure', description: long, logUrl: '' })
    expect([...fake.deployments[0]!.statuses[0]!.description]).toHaveLength(MAX_DESCRIPTION)
  })

  it('lists newest first whatever order GitHub answers in', async () => {
    const fake = await github()
    const deployment = (id: number) => ({ id, sha: SHA, environment: 'production' })
    fake.answerNext({ status: 200, body: [deployment(8), deployment(10), deployment(9)] })
    const listed = await api(fake.url).list('production', SHA)
    expect(listed.map((d) => d.id)).toEqual([10, 9, 8])
  })

  it('leaves out what is not a deployment: no object, no sha, no environment name', async () => {
    const fake = await github()
    fake.answerNext({
      status: 200,
      body: [
        null,
        'x',
        { id: 9, environment: 'production', payload: PAYLOAD },
        { id: 8, sha: 8, environment: 'production', payload: PAYLOAD },
        { id: 7, sha: SHA, environment: 7, payload: PAYLOAD },
        { id: 6, sha: SHA, payload: PAYLOAD },
        { id: 5, sha: SHA, environment: 'production', payload: PAYLOAD }
      ]
    })
    expect(await api(fake.url).list('production')).toEqual([
      { id: 5, sha: SHA, environment: 'production', payload: PAYLOAD }
    ])
  })

  it('lists nothing when GitHub answers something else than a list', async () => {
    const fake = await github()
    fake.answerNext({ status: 200, body: { id: 5, sha: SHA, environment: 'production' } })
    expect(await api(fake.url).list('production', SHA)).toEqual([])
  })

  it('describes the deployment it creates by the short commit and the run', async () => {
    const fake = await github()
    await api(fake.url).create(SHA, 'production', PAYLOAD)
    expect(fake.requests[0]!.body).toMatchObject({ description: 'Deploy of 3f78685 (run 555)' })
  })

  it('refuses a creation GitHub answers without a positive deployment id', async () => {
    for (const body of [{}, { id: 0 }, { id: '12' }, [{ id: 12 }]]) {
      const fake = await github()
      fake.answerNext({ status: 201, body })
      const error = await rejection(api(fake.url).create(SHA, 'production', PAYLOAD))
      expect(error.message).toBe(
        "Could not create a deployment of production: GitHub's answer has no deployment id."
      )
    }
  })

  it('each refusal names what was asked, deployments: write and what else a 404 means', async () => {
    const fake = await github({ refuseDeployments: 404 })
    const deployments = api(fake.url)
    const failures = [
      await rejection(deployments.create(SHA, 'production', PAYLOAD)),
      await rejection(deployments.latestStatus(7)),
      await rejection(deployments.setStatus(7, { state: 'failure', description: '', logUrl: '' }))
    ].map((error) => error.message)
    const refused =
      ' (the GitHub API): HTTP 404: Not Found. github_token needs `deployments: write`: add it to' +
      " the workflow's or the job's permissions (a 404 also means no such repository or" +
      ' deployment in acme/shop).'
    expect(failures).toEqual([
      `Could not create a deployment of production${refused}`,
      `Could not read the statuses of deployment 7${refused}`,
      `Could not set deployment 7 to failure${refused}`
    ])
  })

  it('has no status for a deployment GitHub lists none of', async () => {
    const fake = await github()
    const { id } = fake.addDeployment({ sha: SHA, environment: 'production' })
    expect(await api(fake.url).latestStatus(id)).toBeUndefined()
    fake.answerNext({ status: 200, body: { state: 'success' } })
    expect(await api(fake.url).latestStatus(id)).toBeUndefined()
  })

  it("reads a status's log url, else its target url, and leaves out what it lacks", async () => {
    const fake = await github()
    const statuses = [
      { state: 'success', description: 'Done', log_url: 'https://log', target_url: 'https://t' },
      { state: 'success', log_url: 'https://log' },
      { state: 'failure', log_url: '', target_url: 'https://t' },
      { state: 'failure', target_url: 'https://t' },
      {}
    ]
    const read = []
    for (const status of statuses) {
      fake.answerNext({ status: 200, body: ['x', status] })
      read.push(await api(fake.url).latestStatus(7))
    }
    expect(read).toEqual([
      { state: 'success', description: 'Done', logUrl: 'https://log' },
      { state: 'success', description: '', logUrl: 'https://log' },
      { state: 'failure', description: '', logUrl: 'https://t' },
      { state: 'failure', description: '', logUrl: 'https://t' },
      { state: '', description: '', logUrl: '' }
    ])
  })
})

describe('describe', () => {
  it('is one plain line of at most 140 characters, … when cut', () => {
    expect(describeStatus('Rolled back\nto backup\u0007 501')).toMatch(
      /^Rolled back to backup\W* 501$/
    )
    expect(describeStatus('Rolled back\nto backup\u0007 501')).not.toContain('\u0007')
    expect(describeStatus('a\n\nb')).toBe('a b')
    const cut = describeStatus('é'.repeat(200))
    expect([...cut]).toHaveLength(140)
    expect(cut.endsWith('…')).toBe(true)
    expect(describeStatus('x'.repeat(140))).toBe('x'.repeat(140))
  })
})

describe('ledgerPayload', () => {
  it('is the payload this action wrote, checked', () => {
    expect(ledgerPayload(PAYLOAD)).toEqual(PAYLOAD)
    // Written by hand or by another tool: no marker, strings of numbers, attempt, a JSON string.
    expect(ledgerPayload({ run_id: '555', attempt: '1', backup_ids: { '12345': '501' } })).toEqual(
      PAYLOAD
    )
    expect(ledgerPayload({ run_id: 555, backup_ids: { '12345': 501 } })).toEqual(PAYLOAD)
    expect(ledgerPayload({ ...PAYLOAD, run_attempt: 2, attempt: 3 })).toEqual({
      ...PAYLOAD,
      run_attempt: 2
    })
    expect(ledgerPayload(JSON.stringify(PAYLOAD))).toEqual(PAYLOAD)
    expect(ledgerPayload('{')).toBeUndefined()
    expect(ledgerPayload({ ...PAYLOAD, run_id: '0555' })).toBeUndefined()
    // Only digits: not what Number() also reads as a number.
    for (const runId of ['5e2', '555.0', ' 555', '555 ', '0x22b', true, [555]]) {
      expect(ledgerPayload({ ...PAYLOAD, run_id: runId })).toBeUndefined()
    }
    expect(ledgerPayload({ ...PAYLOAD, run_id: undefined })).toBeUndefined()
    expect(ledgerPayload({ ...PAYLOAD, run_attempt: 0 })).toBeUndefined()
    expect(ledgerPayload({ ...PAYLOAD, backup_ids: { x: 1 } })).toBeUndefined()
    expect(ledgerPayload({ ...PAYLOAD, backup_ids: { '1': 1.5 } })).toBeUndefined()
    expect(ledgerPayload({ ...PAYLOAD, backup_ids: [] })).toBeUndefined()
    expect(ledgerPayload(null)).toBeUndefined()
  })
})
