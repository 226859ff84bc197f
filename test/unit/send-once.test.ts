import { afterEach, describe, expect, it } from 'vitest'
import { CancelledError, PausedError, TransportError } from '../../src/errors.js'
import { sendOnce } from '../../src/send-once.js'
import { closeAgents, setup } from '../helpers/fake-runtime.js'
import { rejection } from '../helpers/rejection.js'

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
})
