import { describe, expect, it } from 'vitest'
import {
  ActionError,
  ApiError,
  CancelledError,
  InputError,
  PausedError,
  TransportError
} from '../../../src/common/errors.js'

/**
 * The expected failures: what each says (its one line for the log) and what it is called, which
 * is what `String(error)`, a stack trace and a debugger show.
 */

describe('the expected failures', () => {
  it.each([
    [new ActionError('Something failed.'), 'ActionError', 'Something failed.'],
    [
      new InputError('timeout', 'must be a duration', '5 parsecs'),
      'InputError',
      `Input 'timeout' must be a duration, got "5 parsecs".`
    ],
    [new InputError('api_token', 'is required'), 'InputError', `Input 'api_token' is required.`],
    [
      new ApiError('create a backup', 409, 'Busy.'),
      'ApiError',
      'Could not create a backup: HTTP 409: Busy.'
    ],
    [
      new TransportError('list backups', 'the connection was reset', true),
      'TransportError',
      'Could not list backups: the connection was reset'
    ],
    [
      new PausedError('list backups', 'the API asked to wait past the deadline'),
      'PausedError',
      'Could not list backups: the API asked to wait past the deadline'
    ],
    [new CancelledError(), 'CancelledError', 'Cancelled']
  ])('%s', (error, name, message) => {
    expect(error).toBeInstanceOf(ActionError)
    expect(error.name).toBe(name)
    expect(error.message).toBe(message)
    expect(String(error)).toBe(`${name}: ${message}`)
  })

  it('keep what failed for the code that reads them', () => {
    const api = new ApiError('delete backup 7', 429, 'Slow down.', 30_000)
    expect([api.operation, api.status, api.serverMessage, api.retryAfterMs]).toEqual([
      'delete backup 7',
      429,
      'Slow down.',
      30_000
    ])
    const input = new InputError('server_id', 'must be a number', 'x')
    expect([input.input, input.expected]).toEqual(['server_id', 'must be a number'])
    const transport = new TransportError('read', 'a 2xx with no JSON', false, 201)
    expect([transport.retryable, transport.status]).toEqual([false, 201])
    const paused = new PausedError('read', 'paused')
    expect(paused).toBeInstanceOf(TransportError)
    expect([paused.retryable, paused.status]).toEqual([false, undefined])
    expect([new CancelledError().unsent, new CancelledError(true).unsent]).toEqual([false, true])
  })
})
