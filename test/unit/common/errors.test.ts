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
    ['ActionError', () => new ActionError('Something failed.'), 'Something failed.'],
    [
      'InputError',
      () => new InputError('timeout', 'must be a duration', '5 parsecs'),
      `Input 'timeout' must be a duration, got "5 parsecs".`
    ],
    [
      'InputError',
      () => new InputError('api_token', 'is required'),
      `Input 'api_token' is required.`
    ],
    [
      'ApiError',
      () => new ApiError('create a backup', 409, 'Busy.'),
      'Could not create a backup: HTTP 409: Busy.'
    ],
    [
      'TransportError',
      () => new TransportError('list backups', 'the connection was reset', true),
      'Could not list backups: the connection was reset'
    ],
    [
      'PausedError',
      () => new PausedError('list backups', 'the API asked to wait past the deadline'),
      'Could not list backups: the API asked to wait past the deadline'
    ],
    ['CancelledError', () => new CancelledError(), 'Cancelled']
  ])('%s', (name, make, message) => {
    // Made in the test, not in the table: Stryker's mutants of a field are active only in a test.
    const error = make()
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
