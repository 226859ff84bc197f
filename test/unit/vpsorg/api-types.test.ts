import { describe, expect, it } from 'vitest'
import {
  isOlder,
  newestFirst,
  parseBackup,
  parsePage,
  parseServer
} from '../../../src/vpsorg/api-types.js'
import { backup } from '../../helpers/backup.js'

describe('newestFirst and isOlder: by creation time, ids only for the same millisecond', () => {
  const at = (id: number, createdAt: string) => backup(id, { created_at: createdAt })

  it('reads the date-times the API writes: without seconds, with a fraction, with an offset', () => {
    const base = at(1, '2025-01-10T10:00:30Z')
    for (const later of [
      '2025-01-10T10:01Z',
      '2025-01-10T10:00:30.123456Z',
      '2025-01-10T10:30:00+00:15',
      '2025-01-10T09:30:00-01:00'
    ]) {
      expect(isOlder(base, at(0, later))).toBe(true)
      expect(isOlder(at(0, later), base)).toBe(false)
      expect([base, at(0, later)].sort(newestFirst).map((b) => b.id)).toEqual([0, 1])
    }
  })

  it('newer first whatever the ids; ids only between backups of the same time', () => {
    const newerSmallId = at(3, '2025-01-11T10:00:00Z')
    const olderBigId = at(9, '2025-01-10T10:00:00Z')
    expect(Math.sign(newestFirst(newerSmallId, olderBigId))).toBe(-1)
    expect(Math.sign(newestFirst(olderBigId, newerSmallId))).toBe(1)
    const same = (id: number) => at(id, '2025-01-10T10:00:00Z')
    expect(Math.sign(newestFirst(same(5), same(3)))).toBe(-1)
    expect(Math.sign(newestFirst(same(3), same(5)))).toBe(1)
    expect(isOlder(same(3), same(5))).toBe(true)
    expect(isOlder(same(5), same(3))).toBe(false)
  })

  it('backups of an unknown time last, by id among themselves; never older', () => {
    const undated = (id: number) => at(id, '2026')
    const dated = at(1, '2025-01-10T10:00:00Z')
    expect(Math.sign(newestFirst(undated(9), dated))).toBe(1)
    expect(Math.sign(newestFirst(dated, undated(9)))).toBe(-1)
    expect(Math.sign(newestFirst(undated(5), undated(3)))).toBe(-1)
    expect(Math.sign(newestFirst(undated(3), undated(5)))).toBe(1)
    expect(isOlder(undated(1), dated)).toBe(false)
    expect(isOlder(dated, undated(9))).toBe(false)
  })
})

describe('parseBackup, parseServer, parsePage: what is kept of an answer', () => {
  const raw = { id: 7, server: { id: 1 }, status: 'completed' }

  it('a backup: a missing text is empty, a size only when a finite number not below 0', () => {
    expect(parseBackup(raw)).toStrictEqual({
      id: 7,
      server: { id: 1, name: '' },
      backup_type: '',
      status: 'completed',
      size_mb: null,
      created_at: '',
      description: null
    })
    const size = (size_mb: unknown) => parseBackup({ ...raw, size_mb })?.size_mb
    expect([0, 12.5, -1, Infinity, Number.NaN, '12'].map(size)).toEqual([
      0,
      12.5,
      null,
      null,
      null,
      null
    ])
  })

  it('a server: a missing name is empty; updated_at only when the API sends it as text', () => {
    expect(parseServer({ id: 1, status: 'active' })).toStrictEqual({
      id: 1,
      name: '',
      status: 'active'
    })
    expect(parseServer({ id: 1, status: 'active', updated_at: 5 })).toStrictEqual({
      id: 1,
      name: '',
      status: 'active'
    })
    expect(parseServer({ id: 1, status: 'active', updated_at: 'x' })?.updated_at).toBe('x')
  })

  it('a page: next is a URL or null, count a whole number not below 0, else left out', () => {
    const page = (extra: object) => parsePage({ results: [], ...extra }, () => 1)
    expect(page({})).toStrictEqual({ results: [] })
    expect(page({ next: null, count: 0 })).toStrictEqual({ results: [], count: 0 })
    expect(page({ next: 'https://api/x?page=2', count: 3 })).toStrictEqual({
      results: [],
      next: 'https://api/x?page=2',
      count: 3
    })
    expect([-1, 1.5, '3', 2 ** 60].map((count) => page({ count }))).toEqual(
      Array(4).fill({ results: [] })
    )
    expect(page({ next: 2 })).toBeUndefined()
    expect(page({ next: {} })).toBeUndefined()
  })
})
