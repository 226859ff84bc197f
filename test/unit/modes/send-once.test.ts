import { afterEach, describe, expect, it } from 'vitest'
import {
  ApiError,
  CancelledError,
  PausedError,
  TransportError
} from '../../../src/common/errors.js'
import { MAX_PACED_WAITS } from '../../../src/vpsorg/retry.js'
import { sendOnce } from '../../../src/modes/send-once.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'

afterEach(closeAgents)

describe('sendOnce', () => {
  it('a request the gate did not send (PausedError) leaves nothing pending, and is not retried', async () => {
    const { rt, clock } = setup()
    let sent = 0
    const paused = new PausedError(
      'create a backup of server 12345',
      'not sent: the API asked every request to wait 3h (Retry-After, HTTP 429), past the timeout'
    )
    const error = await rejection(
      sendOnce(rt, {
        pending: 'A request to create a backup of server 12345 was sent.',
        send: () => {
          sent++
          return Promise.reject(paused)
        },
        retryLine: (failure) => failure
      })
    )
    expect(error).toBe(paused)
    expect(sent).toBe(1)
    expect(clock.sleeps).toEqual([])
    expect(rt.outcome.pending).toBeUndefined()
  })

  it('a cancellation while the request waited at the gate leaves nothing pending: it was not sent', async () => {
    const { rt } = setup()
    const error = await rejection(
      sendOnce(rt, {
        pending: 'A request to create a backup of server 12345 was sent.',
        send: () => Promise.reject(new CancelledError(true)),
        retryLine: (failure) => failure
      })
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect(rt.outcome.pending).toBeUndefined()
  })

  it('after an attempt whose answer was lost, a request not sent keeps it pending', async () => {
    const { rt } = setup()
    const lost = new TransportError('create a backup of server 12345', 'other side closed', true)
    const answers: Error[] = [lost, new CancelledError(true)]
    const error = await rejection(
      sendOnce(rt, {
        pending: 'A request to create a backup of server 12345 was sent.',
        send: () => Promise.reject(answers.shift()!),
        retryLine: (failure) => failure
      })
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect(rt.outcome.pending).toBe('A request to create a backup of server 12345 was sent.')
  })

  it('waits out 429s with Retry-After without counting them, and tells the line so', async () => {
    const { rt, clock } = setup()
    const throttled = (): ApiError =>
      new ApiError('create a backup of server 12345', 429, 'Slow down.', 3000)
    const answers: Error[] = [
      ...Array.from({ length: 6 }, throttled),
      new TransportError('x', 'reset', true)
    ]
    const lines: Array<number | undefined> = []
    const reconciled: Array<unknown> = []
    const value = await sendOnce(rt, {
      pending: 'A request to create a backup of server 12345 was sent.',
      reconcile: async ({ lost }) => {
        reconciled.push(lost)
        return undefined
      },
      send: async () => {
        const next = answers.shift()
        if (next) throw next
        return 'done'
      },
      retryLine: (_failure, _delay, failures) => {
        lines.push(failures)
        return 'retry'
      }
    })
    expect(value).toBe('done')
    // A 429 is a refusal: no answer lost, so nothing to reconcile; the reset is one.
    expect(reconciled).toEqual([...Array(7).fill(undefined), expect.any(TransportError)])
    expect(lines).toEqual([...Array(6).fill(undefined), 1])
    expect(clock.sleeps.slice(0, 6)).toEqual(Array(6).fill(3000))
    expect(rt.outcome.pending).toBe('A request to create a backup of server 12345 was sent.')
  })

  it('counts a 429 without Retry-After: five in all, then it fails', async () => {
    const { rt } = setup()
    let sent = 0
    const error = await rejection(
      sendOnce(rt, {
        pending: 'A request to create a backup of server 12345 was sent.',
        send: () => {
          sent++
          return Promise.reject(new ApiError('create a backup of server 12345', 429, 'Slow down.'))
        },
        retryLine: (failure) => failure
      })
    )
    expect(error).toBeInstanceOf(ApiError)
    expect(sent).toBe(5)
    expect(rt.outcome.pending).toBeUndefined()
  })

  it('a cancellation while the request was out keeps it pending: it may have been carried out', async () => {
    const { rt } = setup()
    const error = await rejection(
      sendOnce(rt, {
        pending: 'A request to create a backup of server 12345 was sent.',
        send: () => Promise.reject(new CancelledError()),
        retryLine: (failure) => failure
      })
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect(rt.outcome.pending).toBe('A request to create a backup of server 12345 was sent.')
  })

  it(`waits out at most ${MAX_PACED_WAITS} 429s with Retry-After uncounted, then counts them`, async () => {
    const { rt } = setup()
    let sent = 0
    await rejection(
      sendOnce(rt, {
        pending: 'A request to create a backup of server 12345 was sent.',
        send: () => {
          sent++
          return Promise.reject(new ApiError('create', 429, 'Slow down.', 1000))
        },
        retryLine: (failure) => failure
      })
    )
    expect(sent).toBe(MAX_PACED_WAITS + 5)
  })
})
