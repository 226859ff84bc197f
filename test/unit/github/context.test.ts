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

  it('names no repository it only half knows: an owner or a name missing is local/repository', () => {
    const read = (owner: string, repo: string) =>
      readContext(
        withRepo(() => ({ owner, repo }), {}),
        () => 'cafef00d'
      ).repository
    expect(read('', 'shop')).toBe('local/repository')
    expect(read('acme', '')).toBe('local/repository')
    expect(read('acme', 'shop')).toBe('acme/shop')
  })

  it('takes a run id and attempt only when they are positive whole numbers', () => {
    const read = (runId: number, runAttempt: number) => {
      const ctx = readContext(withRepo(() => ({ owner: 'a', repo: 'b' }), { runId, runAttempt }))
      return [ctx.runId, ctx.runAttempt]
    }
    expect(read(0, 0)).toEqual(['0', 1])
    expect(read(-5, -2)).toEqual(['0', 1])
    expect(read(12.5, 1.5)).toEqual(['0', 1])
    expect(read(Number.POSITIVE_INFINITY, 2 ** 53)).toEqual(['0', 1])
    expect(read(1, 1)).toEqual(['1', 1])
  })

  it('leaves the job, step and workflow empty when the runner does not name them', () => {
    const ctx = readContext(withRepo(() => ({ owner: 'a', repo: 'b' }), {}))
    expect(ctx).toMatchObject({ job: '', action: '', workflow: '' })
  })
})
