import { describe, expect, it } from 'vitest'
import {
  MAX_DESCRIPTION,
  composeDescription,
  isOwnRepository,
  parseTag,
  stepKey
} from '../../../src/github/description.js'
import { type ActionsContext, readContext } from '../../../src/github/context.js'
import { PARSED, STEP, TAG, context } from '../../helpers/run-context.js'

describe('the description tag', () => {
  it('names the repository, run, attempt, step and nonce, and parses back', () => {
    const { description } = composeDescription('Before deploy', context)
    expect(description).toBe(`Before deploy [gha:acme/shop#9876543210/3/${STEP}/0a1b2c3d]`)
    expect(parseTag(description)).toEqual(PARSED)
  })

  it('still reads the v1.0.0 form, without attempt, step or nonce', () => {
    const tag = parseTag('Pre-deployment backup [gha:acme/shop#1234]')
    expect(tag).toEqual({ repository: 'acme/shop', runId: '1234' })
    expect(isOwnRepository(tag, context)).toBe(true)
  })

  it.each([
    'x [gha:acme/shop#1/2/abc/0a1b2c3d]',
    'x [gha:acme/shop#1/2/d45f646c]',
    'x [gha:acme/shop#1/2/d45f646c/0a1b2c3d] edited'
  ])('does not read a malformed tag: %s', (description) => {
    expect(parseTag(description)).toBeUndefined()
  })

  it.each([
    [
      'ASCII controls alone (the printable-ASCII fast path must not pass them)',
      'Deploy\u0000v1\u001b[31m\u007f!',
      'Deploy v1 [31m !'
    ],
    ['a bidi override and a zero-width space', 'Deploy\u202ev1\u200b!', 'Deploy v1 !'],
    ['printable ASCII, white space folded', '  Deploy   v1 ', 'Deploy v1']
  ])('sanitizes the description: %s', (_, text, clean) => {
    expect(composeDescription(text, context).description).toBe(`${clean} ${TAG}`)
  })

  it('keys the step by sha256 of job/action, so each step of a run has its own', () => {
    expect(stepKey(context)).toBe(STEP)
    expect(stepKey({ ...context, action: 'backup2' })).not.toBe(STEP)
    expect(stepKey({ ...context, job: 'deploy2' })).not.toBe(STEP)
  })

  it('reads job and action from the run context, and draws a new nonce for every execution', () => {
    const env = { job: 'deploy', action: 'backup' } as unknown as ActionsContext
    const a = readContext(env)
    const b = readContext(env)
    expect(a).toMatchObject({ job: 'deploy', action: 'backup' })
    expect(a.nonce).toMatch(/^[0-9a-f]{8}$/)
    expect(a.nonce).not.toBe(b.nonce)
    expect(readContext(env, () => 'cafef00d').nonce).toBe('cafef00d')
  })

  it('names the repository, the short commit, the run and attempt when no text is given', () => {
    expect(composeDescription('', context).description).toBe(
      `Pre-deployment backup of acme/shop@0123456 (run 9876543210, attempt 3) ${TAG}`
    )
    expect(composeDescription(' ', { ...context, sha: '' }).description).toBe(
      `Pre-deployment backup of acme/shop (run 9876543210, attempt 3) ${TAG}`
    )
  })

  it('cuts a long text to fit 255 with its tag, without a space before the …', () => {
    const room = MAX_DESCRIPTION - TAG.length - 1
    const kept = 'a'.repeat(room - 2)
    const { description, truncated } = composeDescription(`${kept} ${'b'.repeat(50)}`, context)
    expect(truncated).toBe(true)
    expect(description).toBe(`${kept}… ${TAG}`)
    expect(description).toHaveLength(MAX_DESCRIPTION - 1)
  })
})
