import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { isEntry } from '../../scripts/entry.js'

describe('isEntry (a script runs its main() on any Node the README allows)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'entry-'))
  const script = join(dir, 'script.js')
  writeFileSync(script, '')
  const url = pathToFileURL(script).href

  it('is true for the file node was asked to run, also through a symbolic link', () => {
    expect(isEntry(url, script)).toBe(true)
    const link = join(dir, 'link.js')
    symlinkSync(script, link)
    expect(isEntry(url, link)).toBe(true)
  })

  it('is false when the module is imported by another file, or node runs no file', () => {
    expect(isEntry(url, join(dir, 'other.js'))).toBe(false)
    expect(isEntry(url, undefined)).toBe(false)
    rmSync(dir, { recursive: true })
  })
})
