import { describe, expect, it } from 'vitest'
import { ActionError } from '../../../src/common/errors.js'
import { parseInputs } from '../../../src/inputs/parse.js'
import { armAfterSuccess, stepOf, stepSettings } from '../../../src/modes/post.js'
import type { Outcome } from '../../../src/runtime/outcome.js'
import { backup } from '../../helpers/backup.js'
import { memoryStore } from '../../helpers/memory-store.js'
import { context } from '../../helpers/run-context.js'

const ROLLBACK = 'rollback_backup_ids'

function settingsOf(inputs: Record<string, string> = {}) {
  const values: Record<string, string> = {
    api_token: 'vps_post_test_token',
    server_id: '12345',
    rollback_on_failure: 'true',
    ...inputs
  }
  return parseInputs((name) => values[name] ?? '', context)
}

const completed: Outcome = { deleted: [], backup: backup(501) }

describe('stepOf', () => {
  it('is the main step when nothing was saved, and marks it for its post step', () => {
    const store = memoryStore()
    expect(stepOf(store)).toBe('main')
    expect(store.saved).toEqual({ isPost: 'true' })
  })

  it('is an idle post step when the main step armed no rollback: it saves nothing', () => {
    const store = memoryStore({ isPost: 'true' })
    expect(stepOf(store)).toBe('idle')
    expect(store.saved).toEqual({ isPost: 'true' })
  })

  it('is the rollback when the main step armed one, valid or not (the rollback checks it)', () => {
    for (const saved of ['{"12345":501}', 'not json']) {
      const store = memoryStore({ isPost: 'true', [ROLLBACK]: saved })
      expect(stepOf(store)).toBe('rollback')
      expect(store.saved).toEqual({ isPost: 'true', [ROLLBACK]: saved })
    }
  })
})

describe('stepSettings', () => {
  it('the main step runs the settings it read, whatever was saved', () => {
    const settings = settingsOf()
    const store = memoryStore({ [ROLLBACK]: '{"999":1}' })
    const warnings: string[] = []
    expect(stepSettings('main', store, settings, (w) => warnings.push(w))).toBe(settings)
    expect(warnings).toEqual([])
  })

  it('the rollback restores the saved backups, and says so', () => {
    const store = memoryStore({ isPost: 'true', [ROLLBACK]: '{"12345":501}' })
    const warnings: string[] = []
    const restore = stepSettings('rollback', store, settingsOf(), (w) => warnings.push(w))
    expect(restore.target).toEqual({ mode: 'restore', backupId: 501 })
    expect(restore.wait).toBe(true)
    expect(warnings).toHaveLength(1)
  })

  it('the rollback refuses saved backups that are not server_id’s: nothing is restored', () => {
    const store = memoryStore({ isPost: 'true', [ROLLBACK]: '{"999":501}' })
    const refuse = () => stepSettings('rollback', store, settingsOf(), () => {})
    expect(refuse).toThrow(ActionError)
    expect(refuse).toThrow(
      'No automatic rollback: the saved backups (999: 501) are not those of server_id 12345. Nothing was restored.'
    )
  })
})

describe('armAfterSuccess', () => {
  it('the main step of a backup with rollback_on_failure arms the rollback', () => {
    const store = memoryStore({ isPost: 'true' })
    expect(armAfterSuccess('main', store, settingsOf(), completed)).toBe(true)
    expect(store.saved[ROLLBACK]).toBe('{"12345":501}')
  })

  it('the main step without rollback_on_failure arms nothing', () => {
    const store = memoryStore({ isPost: 'true' })
    const settings = settingsOf({ rollback_on_failure: 'false' })
    expect(armAfterSuccess('main', store, settings, completed)).toBe(false)
    expect(store.saved).toEqual({ isPost: 'true' })
  })

  it('the post step never arms a rollback, whatever its settings', () => {
    const store = memoryStore({ isPost: 'true' })
    expect(armAfterSuccess('rollback', store, settingsOf(), completed)).toBe(false)
    expect(store.saved).toEqual({ isPost: 'true' })
  })
})
