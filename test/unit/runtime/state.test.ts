import { describe, expect, it } from 'vitest'
import { ActionError } from '../../../src/common/errors.js'
import { parseInputs } from '../../../src/inputs/parse.js'
import type { Outcome } from '../../../src/runtime/outcome.js'
import {
  NOT_ARMED,
  armRollback,
  hasRollback,
  isPost,
  markMainStarted,
  rollbackSettings,
  savedRollback
} from '../../../src/runtime/state.js'
import { backup } from '../../helpers/backup.js'
import { memoryStore } from '../../helpers/memory-store.js'
import { rejection } from '../../helpers/rejection.js'
import { context } from '../../helpers/run-context.js'

const ROLLBACK = 'rollback_backup_ids'

function settingsOf(inputs: Record<string, string> = {}) {
  const values: Record<string, string> = {
    api_token: 'vps_state_test_token',
    server_id: '12345',
    rollback_on_failure: 'true',
    ...inputs
  }
  return parseInputs((name) => values[name] ?? '', context)
}

/** A step's outcome whose one server's backup is `status`. */
const outcomeWith = (status: string): Outcome => ({ deleted: [], backup: backup(501, { status }) })

/** A fleet's outcome: each server with its backup. */
function fleetOutcome(backups: Record<number, [number, string] | undefined>): Outcome {
  const servers = new Map<number, Outcome>()
  for (const [server, b] of Object.entries(backups)) {
    servers.set(
      Number(server),
      b ? { deleted: [], backup: backup(b[0], { status: b[1] }) } : { deleted: [] }
    )
  }
  return { deleted: [], servers }
}

describe('the main step’s marks', () => {
  it('marks the main step, by which the post step knows itself', () => {
    const store = memoryStore()
    expect(isPost(store)).toBe(false)
    markMainStarted(store)
    expect(store.saved).toEqual({ isPost: 'true' })
    expect(isPost(store)).toBe(true)
    expect(isPost(memoryStore({ isPost: 'yes' }))).toBe(false)
  })
})

describe('armRollback: only the last act of a backup step that succeeded', () => {
  it('saves each server with its completed backup, with rollback_on_failure', () => {
    const store = memoryStore()
    expect(armRollback(store, settingsOf(), outcomeWith('completed'))).toBe(true)
    expect(store.saved).toEqual({ [ROLLBACK]: '{"12345":501}' })
    expect(hasRollback(store)).toBe(true)
  })

  it('saves every server of a fleet', () => {
    const store = memoryStore()
    const outcome = fleetOutcome({ 101: [501, 'completed'], 102: [502, 'completed'] })
    expect(armRollback(store, settingsOf({ server_id: '101, 102' }), outcome)).toBe(true)
    expect(savedRollback(store)).toEqual(
      new Map([
        [101, 501],
        [102, 502]
      ])
    )
  })

  it.each([
    ['without rollback_on_failure', { rollback_on_failure: 'false' }, 'completed'],
    ['in another mode', { mode: 'restore', backup_id: '501' }, 'completed'],
    ['while the backup is still running (wait: false)', {}, 'in_progress'],
    ['after a failed backup', {}, 'failed']
  ])('arms nothing %s', (_, inputs, status) => {
    const store = memoryStore()
    expect(armRollback(store, settingsOf(inputs), outcomeWith(status))).toBe(false)
    expect(store.saved).toEqual({})
    expect(hasRollback(store)).toBe(false)
  })

  it('arms nothing for a fleet unless every server’s backup completed', () => {
    const settings = settingsOf({ server_id: '101, 102' })
    for (const outcome of [
      fleetOutcome({ 101: [501, 'completed'], 102: [502, 'failed'] }),
      fleetOutcome({ 101: [501, 'completed'], 102: undefined })
    ]) {
      const store = memoryStore()
      expect(armRollback(store, settings, outcome)).toBe(false)
      expect(store.saved).toEqual({})
    }
  })
})

describe('savedRollback', () => {
  it.each([
    ['{"12345":501}', [[12345, 501]]],
    [
      '{"101":501,"102":502,"103":503}',
      [
        [101, 501],
        [102, 502],
        [103, 503]
      ]
    ]
  ])('reads %s', (text, entries) => {
    expect(savedRollback(memoryStore({ [ROLLBACK]: text }))).toEqual(new Map(entries as never))
  })

  it.each([
    '',
    'not json',
    '501',
    'null',
    '[501]',
    '"501"',
    '{}',
    '{"12345":"501"}',
    '{"12345":0}',
    '{"12345":-1}',
    '{"12345":1.5}',
    '{"12345":null}',
    '{"x":501}',
    '{"012345":501}',
    '{"12345":501,"102":"x"}',
    '{"12345":1e400}',
    '{"12345":99999999999999999999}',
    '{"99999999999999999999":501}',
    '{"12345":501,"102":99999999999999999999}',
    'x{"12345":501}',
    '{"12345":501}x',
    '{"12345":501,}',
    '{"12345":501 }'
  ])('refuses %j', (text) => {
    expect(savedRollback(memoryStore({ [ROLLBACK]: text }))).toBeUndefined()
  })
})

describe('rollbackSettings: the post step’s rules', () => {
  const armed = (text: string) => memoryStore({ isPost: 'true', [ROLLBACK]: text })

  it('restores the saved backup of the step’s server, waiting, and says so', () => {
    const warnings: string[] = []
    const settings = rollbackSettings(
      armed('{"12345":501}'),
      settingsOf({ wait: 'false' }),
      (l) => void warnings.push(l)
    )
    expect(settings.target).toEqual({ mode: 'restore', backupId: 501 })
    expect(settings.wait).toBe(true)
    expect(settings.serverIds).toEqual([12345])
    expect(warnings).toEqual([
      'The job failed: automatic rollback (rollback_on_failure) restores server 12345 from backup 501, taken before the deploy.'
    ])
  })

  it('restores each server of a fleet from its own saved backup', () => {
    const warnings: string[] = []
    const settings = rollbackSettings(
      armed('{"101":501,"102":502}'),
      settingsOf({ server_id: '102, 101' }),
      (l) => void warnings.push(l)
    )
    expect(settings.target).toEqual({
      mode: 'restore',
      backupId: new Map([
        [101, 501],
        [102, 502]
      ])
    })
    expect(warnings[0]).toContain('server 102 from backup 502, server 101 from backup 501')
  })

  it.each([
    ['not valid', 'not json', {}, 'the saved rollback backup ids are not valid'],
    ['empty', '{}', {}, 'the saved rollback backup ids are not valid'],
    [
      'for another server',
      '{"999":501}',
      {},
      'the saved backups (999: 501) are not those of server_id 12345'
    ],
    [
      'for fewer servers than the step’s',
      '{"101":501}',
      { server_id: '101, 102' },
      'the saved backups (101: 501) are not those of server_id 101, 102'
    ],
    [
      'for more servers than the step’s',
      '{"101":501,"102":502}',
      { server_id: '101' },
      'the saved backups (101: 501, 102: 502) are not those of server_id 101'
    ],
    [
      'for as many servers, but not the same',
      '{"101":501,"102":502}',
      { server_id: '101, 103' },
      'the saved backups (101: 501, 102: 502) are not those of server_id 101, 103'
    ],
    [
      'in a step that is not a backup step',
      '{"12345":501}',
      { mode: 'delete', backup_id: '501' },
      'this step is not a backup step with rollback_on_failure: true'
    ],
    [
      'in a step without rollback_on_failure',
      '{"12345":501}',
      { rollback_on_failure: 'false' },
      'this step is not a backup step with rollback_on_failure: true'
    ]
  ])('refuses a saved rollback %s, restoring nothing', async (_, text, inputs, why) => {
    const warnings: string[] = []
    const error = await rejection(
      Promise.resolve().then(() =>
        rollbackSettings(armed(text), settingsOf(inputs), (l) => void warnings.push(l))
      )
    )
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toBe(`No automatic rollback: ${why}. Nothing was restored.`)
    expect(warnings).toEqual([])
  })

  it('knows when no rollback was armed, and says what that means', () => {
    expect(hasRollback(memoryStore({ isPost: 'true' }))).toBe(false)
    expect(hasRollback(armed('not json'))).toBe(true)
    expect(NOT_ARMED).toContain('the backup step did not succeed')
  })
})
