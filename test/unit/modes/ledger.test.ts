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
import type { Outcome } from '../../../src/runtime/outcome.js'
import type { Backup } from '../../../src/vpsorg/api-types.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
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
    api.deployments.push(
      { id: 1, sha: SHA, environment: 'production', payload: payload(RUN), statuses: [] },
      { id: 2, sha: SHA, environment: 'production', payload: payload(1111), statuses: [] }
    )
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
