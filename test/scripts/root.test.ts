import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, projectRoot } from '../../scripts/root.js'

describe('projectRoot', () => {
  it('finds the folder with action.yml from below it', () => {
    expect(projectRoot(join(ROOT, 'scripts'))).toBe(ROOT)
    expect(projectRoot(join(ROOT, 'lib', 'scripts'))).toBe(ROOT)
  })

  it('stops with an error outside a checkout instead of searching forever', () => {
    const outside = mkdtempSync(join(tmpdir(), 'no-action-'))
    try {
      expect(() => projectRoot(outside)).toThrow(
        `no action.yml in ${outside} or any folder above it`
      )
    } finally {
      rmSync(outside, { recursive: true })
    }
  })
})
