import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from '../../../src/common/duration.js'

describe('parseDuration', () => {
  it.each([
    ['900', 900_000],
    ['0', 0],
    ['1', 1000],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['2h0m5s', 7_205_000],
    ['1h5s', 3_605_000],
    ['90m', 5_400_000]
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each([
    '',
    'abc',
    '10x',
    '-5',
    '+5',
    '1.5m',
    '1.5',
    '1d',
    '1H',
    'h',
    'm',
    '1h1h',
    '30m1h',
    '5s1m',
    ' 1h',
    '1h ',
    '1 h',
    '1e3'
  ])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1500, '1.5s'],
    [1234, '1.2s'],
    [59_000, '59s'],
    [60_000, '1m'],
    [60_400, '1m'],
    [95_000, '1m35s'],
    [119_600, '2m'],
    [3_600_000, '1h'],
    [3_661_000, '1h1m1s'],
    [5_400_000, '1h30m'],
    [7_205_000, '2h5s'],
    [90_061_000, '25h1m1s']
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it.each([3_600_000_000, 1e20, Infinity, Number.NaN])(
    'formats %d ms, a figure no step waits for, as "over 1000h"',
    (ms) => {
      expect(formatDuration(ms)).toBe('over 1000h')
    }
  )

  it('formats just under 1000h in full', () => {
    expect(formatDuration(3_599_999_000)).toBe('999h59m59s')
  })

  it('round-trips whole seconds through parseDuration', () => {
    for (const ms of [1000, 59_000, 60_000, 61_000, 3_599_000, 3_600_000, 3_601_000, 86_400_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms)
    }
  })
})
