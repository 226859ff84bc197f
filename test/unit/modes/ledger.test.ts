import { afterEach, describe, expect, it } from 'vitest'
import { ActionError, CancelledError } from '../../../src/common/errors.js'
import type {
  Deployment,
  DeploymentStatus,
  Deployments,
  LedgerPayload,
  NewStatus
} from '../../../src/github/deployments.js'
import { openLedger } from '../../../src/modes/ledger.js'
import { serverRuntimes } from '../../../src/runtime/fleet.js'
import type { Outcome } from '../../../src/runtime/outcome.js'
import type { Backup } from '../../../src/vpsorg/api-types.js'
import { TOKEN, closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { context } from '../../helpers/run-context.js'

/** When and what the ledger records, and the quarantine, over an in-memory Deployments API. */

afterEach(closeAgents)

const SHA = context.sha
const RUN = Number(context.runId)
const LEDGER = { environment: 'production', github_token: 'ghs_unit' }

interface Memory extends Deployments {
  deployments: Array<Deployment & { statuses: NewStatus[] }>
  calls: string[]
  /** Every request fails with this, once set. */
  failWith?: Error
}

function memory(): Memory {
  const api: Memory = {
    deployments: [],
    calls: [],
    async list(environment, sha) {
      api.calls.push(`list ${environment} ${sha ?? '*'}`)
      if (api.failWith) throw api.failWith
      return api.deployments
        .filter((d) => d.environment === environment && (!sha || d.sha === sha))
        .map(({ statuses: _, ...d }) => d)
        .reverse()
    },
    async create(sha, environment, payload) {
      api.calls.push(`create ${sha} ${environment}`)
      if (api.failWith) throw api.failWith
      const id = 100 + api.deployments.length
      api.deployments.push({ id, sha, environment, payload, statuses: [] })
      return id
    },
    async latestStatus(id): Promise<DeploymentStatus | undefined> {
      api.calls.push(`status ${id}`)
      if (api.failWith) throw api.failWith
      return api.deployments.find((d) => d.id === id)?.statuses.at(-1)
    },
    async setStatus(id, status) {
      api.calls.push(`set ${id} ${status.state}`)
      if (api.failWith) throw api.failWith
      api.deployments.find((d) => d.id === id)!.statuses.push(status)
    }
  }
  return api
}

const payload = (run = RUN, ids: Record<string, number> = { '12345': 501 }): LedgerPayload => ({
  action: 'vpsorg/backup-action',
  run_id: run,
  run_attempt: 1,
  backup_ids: ids
})

/** A deployment of SHA in production, made by run `run`, with no status yet. */
const deployment = (id: number, run = RUN, ids?: Record<string, number>) => ({
  id,
  sha: SHA,
  environment: 'production',
  payload: payload(run, ids),
  statuses: [] as NewStatus[]
})

/** A deployment of `sha` that run 777 rolled back. */
function rolledBack(api: Memory, run = RUN, sha = SHA): void {
  api.deployments.push({
    id: 50 + api.deployments.length,
    sha,
    environment: 'production',
    payload: payload(run),
    statuses: [
      {
        state: 'failure',
        description: 'Rolled back to backup 501: restored and healthy',
        logUrl: 'https://github.com/acme/shop/actions/runs/777'
      }
    ]
  })
}

const backup = (id: number, status = 'completed'): Backup => ({ id, status }) as unknown as Backup

describe('the quarantine (backup)', () => {
  const blocked =
    'Commit 0123456 was rolled back in production by https://github.com/acme/shop/actions/runs/777 (restored backup 501): it is not deployed again. Push a fix or a revert, or set allow_rolled_back: true to deploy it anyway. Nothing was backed up.'

  it('refuses a commit whose newest deployment this action rolled back, in one line', async () => {
    const api = memory()
    rolledBack(api, 1111)
    const { rt } = setup(LEDGER)
    const error = await rejection(openLedger(rt, () => api))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toBe(blocked)
    expect(api.calls).toEqual([`list production ${SHA}`, 'status 50'])
  })

  it('a re-run (attempt > 1) of the very run that deployed it proceeds, with a warning', async () => {
    const api = memory()
    rolledBack(api, RUN)
    const { rt, log } = setup(LEDGER, { runAttempt: 2 })
    await openLedger(rt, () => api)
    expect(log.of('warning')).toEqual([
      `${blocked.slice(0, blocked.indexOf(': it is'))}; this re-run (attempt 2) of run ${RUN} deploys it again.`
    ])
  })

  it('attempt 1 of that run, or a re-run of another run, is refused', async () => {
    for (const [run, attempt] of [
      [RUN, 1],
      [1111, 2]
    ] as const) {
      const api = memory()
      rolledBack(api, run)
      const { rt } = setup(LEDGER, { runAttempt: attempt })
      expect((await rejection(openLedger(rt, () => api))).message).toBe(blocked)
    }
  })

  it('recognises the rollback by its status: a payload it cannot read still refuses', async () => {
    const api = memory()
    rolledBack(api, RUN)
    api.deployments[0]!.payload = undefined
    // Not even a re-run of the deploy run can be told from another run then.
    const { rt } = setup(LEDGER, { runAttempt: 2 })
    expect((await rejection(openLedger(rt, () => api))).message).toBe(blocked)
  })

  it('allow_rolled_back: true proceeds, with a warning', async () => {
    const api = memory()
    rolledBack(api, 1111)
    const { rt, log } = setup({ ...LEDGER, allow_rolled_back: 'true' })
    await openLedger(rt, () => api)
    expect(log.of('warning')).toEqual([
      expect.stringContaining('deploying it again, as allow_rolled_back: true asks')
    ])
  })

  it.each([
    ['another commit was rolled back', (api: Memory) => rolledBack(api, 1111, 'f'.repeat(40))],
    [
      'the newest deployment went on after a rollback',
      (api: Memory) => {
        rolledBack(api, 1111)
        api.deployments.push({
          id: 90,
          sha: SHA,
          environment: 'production',
          payload: payload(1112),
          statuses: [{ state: 'success', description: 'Deployed', logUrl: '' }]
        })
      }
    ],
    [
      'it failed, but not by a rollback',
      (api: Memory) => {
        rolledBack(api, 1111)
        api.deployments[0]!.statuses[0]!.description = 'The app is not healthy'
      }
    ]
  ])('proceeds silently when %s', async (_, seed) => {
    const api = memory()
    seed(api)
    const { rt, log } = setup(LEDGER)
    await openLedger(rt, () => api)
    expect(log.of('warning')).toEqual([])
  })
})

describe('the ledger never blocks a step', () => {
  it('a failed request is one warning naming the error; the ledger then sends nothing more', async () => {
    const api = memory()
    api.failWith = new ActionError(
      'Could not list: HTTP 403. github_token needs `deployments: write`.'
    )
    const { rt, log } = setup(LEDGER)
    const ledger = await openLedger(rt, () => api)
    rt.outcome.backup = backup(501)
    await ledger.close(undefined)
    expect(api.calls).toEqual([`list production ${SHA}`])
    expect(log.of('warning')).toEqual([
      'The deploy ledger of production is not kept: Could not list: HTTP 403. github_token needs `deployments: write`. The step goes on as without environment.'
    ])
    expect(rt.outcome.ledger?.deploymentId).toBeUndefined()
  })

  it('a cancelled step warns nothing', async () => {
    const api = memory()
    api.failWith = new CancelledError()
    const { rt, log } = setup(LEDGER)
    await openLedger(rt, () => api)
    expect(log.of('warning')).toEqual([])
  })
})

describe('backup', () => {
  it('once every backup completed: one deployment, in_progress, its id for the output', async () => {
    const api = memory()
    const { rt } = setup(LEDGER)
    const ledger = await openLedger(rt, () => api)
    rt.outcome.backup = backup(501)
    await ledger.close(undefined)
    expect(api.deployments).toEqual([
      {
        id: 100,
        sha: SHA,
        environment: 'production',
        payload: payload(RUN),
        statuses: [
          {
            state: 'in_progress',
            description: 'Deploying 0123456; backup 501 taken before it',
            logUrl: `https://github.com/acme/shop/actions/runs/${RUN}`
          }
        ]
      }
    ])
    expect(rt.outcome.ledger).toEqual({
      environment: 'production',
      url: 'https://github.com/acme/shop/deployments/production',
      deploymentId: 100,
      state: 'in_progress'
    })
  })

  it('a step that failed, or a backup not completed, creates no deployment', async () => {
    for (const [status, failure] of [
      ['completed', new Error('pruning failed')],
      ['in_progress', undefined]
    ] as const) {
      const api = memory()
      const { rt } = setup(LEDGER)
      const ledger = await openLedger(rt, () => api)
      rt.outcome.backup = backup(501, status)
      await ledger.close(failure)
      expect(api.calls).toEqual([`list production ${SHA}`])
    }
  })
})

describe('restore: Rolled back …', () => {
  async function restored(
    outcome: Partial<Outcome>,
    failure?: unknown,
    inputs: Record<string, string> = {}
  ) {
    const api = memory()
    api.deployments.push({
      id: 7,
      sha: 'f'.repeat(40),
      environment: 'production',
      payload: payload(1111),
      statuses: []
    })
    const { rt, log } = setup({ ...LEDGER, mode: 'restore', backup_id: '501', ...inputs })
    const ledger = await openLedger(rt, () => api)
    Object.assign(rt.outcome, outcome)
    await ledger.close(failure)
    return { api, log, rt, status: api.deployments[0]!.statuses[0] }
  }
  const healthy = (value: boolean) => ({ healthy: value, checks: [], rounds: 1 })

  it.each([
    ['restored and healthy', { restored: true, health: healthy(true) }, undefined],
    ['restored, app unhealthy', { restored: true, health: healthy(false) }, new Error('x')],
    ['restored, no app check', { restored: true }, undefined],
    ['restore failed', {}, new Error('the server is in error')],
    ['restore requested, not waited for', {}, undefined]
  ])('%s', async (how, outcome, failure) => {
    const { api, status } = await restored(outcome, failure)
    expect(api.calls).toEqual(['list production *', 'set 7 failure'])
    expect(status).toEqual({
      state: 'failure',
      description: `Rolled back to backup 501: ${how}`,
      logUrl: `https://github.com/acme/shop/actions/runs/${RUN}`
    })
  })

  it('a restore that found nothing to do (skipped) records nothing', async () => {
    const { api } = await restored({ status: 'skipped' })
    expect(api.calls).toEqual([])
  })

  it('no deployment names the backup: a warning, nothing else', async () => {
    const { api, log } = await restored({}, undefined, { backup_id: '502' })
    expect(api.calls).toEqual(['list production *'])
    expect(log.of('warning')).toEqual([
      'No deployment of production names backup 502 (among its newest 1): the rollback is not recorded.'
    ])
  })
})

describe('verify', () => {
  async function verified(
    inputs: Record<string, string>,
    outcome: Partial<Outcome>,
    failure?: unknown
  ) {
    const api = memory()
    api.deployments.push(deployment(1, RUN), deployment(2, 1111))
    const { rt, log } = setup({
      ...LEDGER,
      mode: 'verify',
      api_token: '',
      server_id: '',
      ...inputs
    })
    const ledger = await openLedger(rt, () => api)
    Object.assign(rt.outcome, outcome)
    await ledger.close(failure)
    return { api, log, statuses: api.deployments.map((d) => d.statuses) }
  }

  it("this run's deployment: success when the app is healthy", async () => {
    const { statuses, log } = await verified({ health_url: 'https://app.example/health' }, {})
    expect(statuses).toEqual([
      [
        expect.objectContaining({
          state: 'success',
          description: 'Deployed: the app is healthy (1 check)'
        })
      ],
      []
    ])
    expect(log.of('warning')).toEqual([])
  })

  it('failure, with what the checks last saw', async () => {
    const { statuses } = await verified(
      { health_url: 'https://app.example/health' },
      {
        health: {
          healthy: false,
          checks: [],
          rounds: 3,
          failing: { target: 'https://app.example/health', answer: 'HTTP 503', lastRound: true }
        }
      },
      new ActionError('unhealthy')
    )
    expect(statuses[0]).toEqual([
      expect.objectContaining({
        state: 'failure',
        description: 'The app is not healthy: https://app.example/health last answered HTTP 503'
      })
    ])
  })

  it('without health_url: success, with a warning that no app check ran', async () => {
    const { statuses, log } = await verified({}, {})
    expect(statuses[0]).toEqual([
      expect.objectContaining({ state: 'success', description: 'Deployed; no app check ran' })
    ])
    expect(log.of('warning')).toEqual([
      'No app check ran (health_url is empty): deployment 1 of production is recorded as successful.'
    ])
  })
})

describe('how the ledger reaches GitHub, and what it logs', () => {
  it("connects with github_token, the run's repository and API, and 20 s past the step's deadline", async () => {
    const api = memory()
    const { rt } = setup(LEDGER)
    let options: Parameters<Parameters<typeof openLedger>[1]>[0] | undefined
    await openLedger(rt, (given) => {
      options = given
      return api
    })
    expect(options).toEqual({
      token: 'ghs_unit',
      repository: context.repository,
      apiUrl: context.apiUrl,
      signal: rt.signal,
      deadline: rt.deadline + 20_000,
      clock: rt.clock,
      random: rt.random,
      log: rt.log,
      dispatcher: rt.dispatcher
    })
  })

  it("the environment's page is its name escaped for a URL", async () => {
    const { rt } = setup({ ...LEDGER, environment: 'prod east/1' })
    await openLedger(rt, () => memory())
    expect(rt.outcome.ledger?.url).toBe('https://github.com/acme/shop/deployments/prod%20east%2F1')
  })

  it('each status set is one info line with its description', async () => {
    const api = memory()
    const { rt, log } = setup(LEDGER)
    const ledger = await openLedger(rt, () => api)
    rt.outcome.backup = backup(501)
    await ledger.close(undefined)
    expect(log.of('info')).toContain(
      'Deployment 100 of production: in_progress (Deploying 0123456; backup 501 taken before it).'
    )
  })

  it('a status that could not be set is neither logged nor reported', async () => {
    const api = memory()
    const { rt, log } = setup(LEDGER)
    const ledger = await openLedger(rt, () => api)
    rt.outcome.backup = backup(501)
    api.setStatus = async () => {
      throw new ActionError('Could not set the status: HTTP 500.')
    }
    await ledger.close(undefined)
    expect(log.of('info').filter((line) => line.startsWith('Deployment'))).toEqual([])
    expect(rt.outcome.ledger).toEqual({
      environment: 'production',
      url: 'https://github.com/acme/shop/deployments/production',
      deploymentId: 100
    })
  })

  it('both tokens are scrubbed from a warning and from a description', async () => {
    const api = memory()
    api.deployments.push(deployment(1, RUN))
    const { rt } = setup({ ...LEDGER, mode: 'verify', api_token: '', server_id: '' })
    const ledger = await openLedger(rt, () => api)
    await ledger.close(new ActionError('the deploy answered ghs_unit'))
    expect(api.deployments[0]!.statuses[0]!.description).toBe(
      'Verify failed: the deploy answered ***'
    )

    const failing = memory()
    failing.failWith = new ActionError(`HTTP 401 for ghs_unit and ${TOKEN}.`)
    const second = setup(LEDGER)
    await openLedger(second.rt, () => failing)
    expect(second.log.of('warning')).toEqual([
      'The deploy ledger of production is not kept: HTTP 401 for *** and ***. The step goes on as without environment.'
    ])
  })
})

describe('a fleet', () => {
  it("backup: one deployment naming every server's backup", async () => {
    const api = memory()
    const { rt } = setup({ ...LEDGER, server_id: '101,102' })
    const ledger = await openLedger(rt, () => api)
    const [a, b] = serverRuntimes(rt)
    a!.outcome.backup = backup(501)
    b!.outcome.backup = backup(502)
    await ledger.close(undefined)
    expect(api.deployments[0]).toMatchObject({
      payload: payload(RUN, { '101': 501, '102': 502 }),
      statuses: [{ description: 'Deploying 0123456; backups 501, 502 taken before it' }]
    })
  })

  it('backup: one server whose backup has not completed records nothing', async () => {
    const api = memory()
    const { rt, log } = setup({ ...LEDGER, server_id: '101,102' })
    const ledger = await openLedger(rt, () => api)
    const [a, b] = serverRuntimes(rt)
    a!.outcome.backup = backup(501)
    b!.outcome.backup = backup(502, 'failed')
    await ledger.close(undefined)
    expect(api.calls).toEqual([`list production ${SHA}`])
    expect(log.of('info')).toContain(
      'No deployment of production is recorded: the backup has not completed.'
    )
  })

  it("restore: the deployment naming one of the fleet's backups, all of them in the description", async () => {
    const api = memory()
    api.deployments.push(deployment(7, 1111, { '101': 401 }), deployment(8, 1112, { '102': 502 }))
    const { rt } = setup({
      ...LEDGER,
      mode: 'restore',
      server_id: '101,102',
      backup_id: '{"101": 501, "102": 502}'
    })
    const ledger = await openLedger(rt, () => api)
    serverRuntimes(rt)
    rt.outcome.restored = true
    await ledger.close(undefined)
    expect(api.calls).toEqual(['list production *', 'set 8 failure'])
    expect(api.deployments[1]!.statuses[0]!.description).toBe(
      'Rolled back to backups 501, 502: restored, no app check'
    )
  })

  it('restore of run:<id>: the backups the step found are the ones looked for', async () => {
    const api = memory()
    api.deployments.push(deployment(7, 1111, { '12345': 601 }))
    const { rt } = setup({ ...LEDGER, mode: 'restore', backup_id: 'run:1111' })
    const ledger = await openLedger(rt, () => api)
    rt.outcome.backup = backup(601)
    rt.outcome.restored = true
    await ledger.close(undefined)
    expect(api.deployments[0]!.statuses[0]!.description).toBe(
      'Rolled back to backup 601: restored, no app check'
    )
  })

  it('restore of run:<id> that found no backup looks nothing up', async () => {
    const api = memory()
    const { rt } = setup({ ...LEDGER, mode: 'restore', backup_id: 'run:1111' })
    const ledger = await openLedger(rt, () => api)
    await ledger.close(new ActionError('no backup of run 1111'))
    expect(api.calls).toEqual([])
  })
})

describe('verify, further', () => {
  const seeded = () => {
    const api = memory()
    api.deployments.push(deployment(1, RUN))
    return api
  }
  const verify = { ...LEDGER, mode: 'verify', api_token: '', server_id: '' }

  it('two checks are counted in the description', async () => {
    const api = seeded()
    const { rt } = setup({
      ...verify,
      health_url: 'https://app.example/health\nhttps://app.example/ready'
    })
    const ledger = await openLedger(rt, () => api)
    await ledger.close(undefined)
    expect(api.deployments[0]!.statuses[0]!.description).toBe(
      'Deployed: the app is healthy (2 checks)'
    )
  })

  it('no deployment by this run: a warning naming the commit, run and environment', async () => {
    const api = memory()
    api.deployments.push(deployment(2, 1111))
    const { rt, log } = setup(verify)
    const ledger = await openLedger(rt, () => api)
    await ledger.close(undefined)
    expect(api.calls).toEqual([`list production ${SHA}`])
    expect(log.of('warning')).toEqual([
      `No deployment of 0123456 by run ${RUN} in production (a backup step with environment creates it): nothing was recorded.`
    ])
  })

  it('a list that failed warns once, not also that no deployment was found', async () => {
    const api = seeded()
    api.failWith = new ActionError('HTTP 502.')
    const { rt, log } = setup(verify)
    const ledger = await openLedger(rt, () => api)
    await ledger.close(undefined)
    expect(log.of('warning')).toEqual([
      'The deploy ledger of production is not kept: HTTP 502. The step goes on as without environment.'
    ])
  })

  it('a failure with the app healthy says what failed', async () => {
    const api = seeded()
    const { rt } = setup({ ...verify, health_url: 'https://app.example/health' })
    const ledger = await openLedger(rt, () => api)
    rt.outcome.health = { healthy: true, checks: [], rounds: 1 }
    await ledger.close(new ActionError('the deadline passed'))
    expect(api.deployments[0]!.statuses[0]).toMatchObject({
      state: 'failure',
      description: 'Verify failed: the deadline passed'
    })
  })
})

describe('the quarantine reads GitHub as untrusted', () => {
  async function refusal(status: Partial<DeploymentStatus>, sha = SHA) {
    const api = memory()
    rolledBack(api, 1111, sha)
    Object.assign(api.deployments[0]!.statuses[0]!, status)
    // A GitHub that answers with another commit than asked for.
    api.list = async () => api.deployments.map(({ statuses: _, ...d }) => d)
    const { rt } = setup(LEDGER)
    return rejection(openLedger(rt, () => api)).then(
      (error) => error.message,
      () => 'proceeded'
    )
  }

  it('names the run only by a web address', async () => {
    for (const logUrl of ['javascript:alert(1)', 'not a url', '']) {
      expect(await refusal({ logUrl })).toMatch(
        /^Commit 0123456 was rolled back in production by a run \(restored backup 501\): /
      )
    }
  })

  it('names every restored backup, or says it is unknown', async () => {
    expect(
      await refusal({ description: 'Rolled back to backups 501, 502: restore failed' })
    ).toContain('(restored backup 501, 502)')
    expect(await refusal({ description: 'Rolled back by hand' })).toContain(
      '(restored backup unknown)'
    )
  })

  it("another commit's deployment, even answered for this one, is never read", async () => {
    expect(await refusal({}, 'f'.repeat(40))).toBe('proceeded')
  })
})

describe('the ledger reads what GitHub answers as untrusted, and never throws', () => {
  it("verify: another tool's deployment of the commit (no payload of ours) is not this run's", async () => {
    const api = memory()
    api.deployments.push({ ...deployment(3), payload: undefined })
    const { rt, log } = setup({ ...LEDGER, mode: 'verify', api_token: '', server_id: '' })
    const ledger = await openLedger(rt, () => api)
    await ledger.close(undefined)
    expect(api.calls).toEqual([`list production ${SHA}`])
    expect(log.of('warning')).toEqual([expect.stringMatching(/^No deployment of 0123456 by run /)])
  })

  it('restore: a deployment without our payload is passed over for the one naming the backup', async () => {
    const api = memory()
    api.deployments.push(deployment(7), { ...deployment(8), payload: undefined })
    const { rt } = setup({ ...LEDGER, mode: 'restore', backup_id: '501' })
    const ledger = await openLedger(rt, () => api)
    rt.outcome.restored = true
    await ledger.close(undefined)
    expect(api.calls).toEqual(['list production *', 'set 7 failure'])
  })

  it('restore: a list that failed is one warning, and nothing more', async () => {
    const api = memory()
    api.failWith = new ActionError('HTTP 502.')
    const { rt, log } = setup({ ...LEDGER, mode: 'restore', backup_id: '501' })
    const ledger = await openLedger(rt, () => api)
    rt.outcome.restored = true
    await ledger.close(undefined)
    expect(log.of('warning')).toEqual([
      'The deploy ledger of production is not kept: HTTP 502. The step goes on as without environment.'
    ])
  })

  it('backup: a creation that failed leaves no deployment id in the report', async () => {
    const api = memory()
    const { rt } = setup(LEDGER)
    const ledger = await openLedger(rt, () => api)
    rt.outcome.backup = backup(501)
    api.failWith = new ActionError('HTTP 422.')
    await ledger.close(undefined)
    expect(rt.outcome.ledger).toStrictEqual({
      environment: 'production',
      url: 'https://github.com/acme/shop/deployments/production'
    })
  })

  it('backup: a server of the fleet with no backup at all records nothing', async () => {
    const api = memory()
    const { rt } = setup({ ...LEDGER, server_id: '101,102' })
    const ledger = await openLedger(rt, () => api)
    serverRuntimes(rt)[0]!.outcome.backup = backup(501)
    await ledger.close(undefined)
    expect(api.calls).toEqual([`list production ${SHA}`])
  })

  it('delete: records nothing', async () => {
    const api = memory()
    api.deployments.push(deployment(7))
    const { rt } = setup({ ...LEDGER, mode: 'delete', backup_id: '501' })
    const ledger = await openLedger(rt, () => api)
    rt.outcome.backup = backup(501)
    await ledger.close(undefined)
    expect(api.calls).toEqual([])
  })

  it('restore of latest that failed before finding a backup looks nothing up', async () => {
    const api = memory()
    const { rt } = setup({ ...LEDGER, mode: 'restore', backup_id: 'latest' })
    const ledger = await openLedger(rt, () => api)
    await ledger.close(new ActionError('no completed backup'))
    expect(api.calls).toEqual([])
  })
})

describe('the quarantine: only a rollback by this action refuses', () => {
  async function opened(status: NewStatus | undefined) {
    const api = memory()
    api.deployments.push({ ...deployment(9, 1111), statuses: status ? [status] : [] })
    const { rt, log } = setup(LEDGER)
    const error = await openLedger(rt, () => api).then(
      () => undefined,
      (e: Error) => e.message
    )
    return { error, log }
  }
  const rolled = 'Rolled back to backup 501: restored and healthy'

  it('a deployment with no status yet proceeds', async () => {
    expect((await opened(undefined)).error).toBeUndefined()
  })

  it('a status other than failure proceeds, whatever its description', async () => {
    const { error } = await opened({ state: 'success', description: rolled, logUrl: '' })
    expect(error).toBeUndefined()
  })

  it('names the run by an http:// address too (GitHub Enterprise Server)', async () => {
    const logUrl = 'http://ghes.internal/acme/shop/actions/runs/777'
    const { error } = await opened({ state: 'failure', description: rolled, logUrl })
    expect(error).toContain(`in production by ${logUrl} (restored backup 501)`)
  })
})
