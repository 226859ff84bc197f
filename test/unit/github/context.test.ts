import { describe, expect, it } from 'vitest'
import { type ActionsContext, readContext } from '../../../src/github/context.js'

describe('readContext: the run, from @actions/github', () => {
  const withRepo = (repo: () => { owner: string; repo: string }, fields: object) =>
    Object.defineProperty({ ...fields }, 'repo', { get: repo }) as unknown as ActionsContext

  it('maps every field', () => {
    const fields = {
      sha: 'abc',
      runAttempt: 2,
      job: 'deploy',
      action: '__vpsorg_backup-action',
      workflow: 'Deploy',
      serverUrl: 'https://ghes.example.com',
      apiUrl: 'https://ghes.example.com/api/v3'
    }
    const source = withRepo(() => ({ owner: 'acme', repo: 'shop' }), {
      ...fields,
      runId: 9876543210
    })
    expect(readContext(source, () => 'cafef00d')).toEqual({
      ...fields,
      repository: 'acme/shop',
      runId: '9876543210',
      nonce: 'cafef00d'
    })
  })

  it('falls back outside a runner: no repository, NaN run id and attempt', () => {
    const ctx = readContext(
      withRepo(
        () => {
          throw new Error(
            "context.repo requires a GITHUB_REPOSITORY environment variable like 'owner/repo'"
          )
        },
        { runId: Number.NaN, runAttempt: Number.NaN }
      )
    )
    expect(ctx).toMatchObject({
      repository: 'local/repository',
      sha: '',
      runId: '0',
      runAttempt: 1,
      serverUrl: 'https://github.com',
      apiUrl: 'https://api.github.com'
    })
  })
})
