import { describe, expect, it } from 'vitest'
import { stepOutputs } from '../../../src/report/outputs.js'
import { renderSummary } from '../../../src/report/summary.js'
import type { Outcome } from '../../../src/runtime/outcome.js'
import { backup } from '../../helpers/backup.js'

/** The deploy ledger (environment) in the outputs and the job summary. */

const ledger = {
  environment: 'prod <b>|x',
  url: 'https://github.com/acme/shop/deployments/prod%20%3Cb%3E%7Cx',
  deploymentId: 1001,
  state: 'in_progress'
}
const outcome = (extra: Partial<Outcome> = {}): Outcome => ({
  backup: backup(),
  status: 'completed',
  deleted: [],
  ...extra
})

describe('the ledger in the outputs', () => {
  it('deployment_id is the deployment this step created or set a status of', () => {
    const warn: string[] = []
    const values = stepOutputs(outcome({ ledger }), { mode: 'backup' }, [12345], (w) =>
      warn.push(w)
    )
    expect(values.deployment_id).toBe('1001')
    expect(warn).toEqual([])
  })

  it('is unset without a deployment', () => {
    const values = stepOutputs(outcome(), { mode: 'backup' }, [12345], () => undefined)
    expect(values.deployment_id).toBeUndefined()
  })
})

describe('the ledger in the job summary', () => {
  const render = (extra: Partial<Outcome>) =>
    renderSummary({
      mode: 'backup',
      serverIds: [12345],
      outcome: outcome(extra),
      elapsedMs: 1000,
      actionRef: 'vpsorg/backup-action@v1'
    })

  it("links to the environment's deployments, escaped, with this step's deployment", () => {
    expect(render({ ledger })).toContain(
      '<tr><th align="left">Deployments</th><td><a href="https://github.com/acme/shop/deployments/prod%20%3Cb%3E%7Cx">prod &#60;b&#62;&#124;x</a> (deployment 1001: in&#95;progress)</td></tr>'
    )
  })

  it('without a deployment, the link alone; without environment, nothing', () => {
    expect(render({ ledger: { environment: ledger.environment, url: ledger.url } })).toContain(
      '&#124;x</a></td></tr>'
    )
    expect(render({})).not.toContain('Deployments')
  })
})
