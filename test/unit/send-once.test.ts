import { afterEach, describe, expect, it } from 'vitest'
import { PausedError } from '../../src/errors.js'
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
})
