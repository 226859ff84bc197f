import { describe, expect, it } from 'vitest'
import { escapeHtml } from '../../../src/report/html.js'

/** The longest value the summary shows (html.ts). */
const MAX_VALUE = 1000

describe('escapeHtml', () => {
  it('lets no markup or Markdown through', () => {
    const escaped = escapeHtml('<b>"x"</b> & \'y\' | **z** _w_ `c` [l](u) \\')
    expect(escaped).not.toMatch(/[<>"'|*_`[\]\\]/)
    expect(escaped).toContain('&#38;')
    expect(escaped).toContain('&#60;b&#62;')
  })

  it('leaves plain text alone', () => {
    expect(escapeHtml('Pre-deployment backup of acme/shop@0123456 (run 1)')).toBe(
      'Pre-deployment backup of acme/shop@0123456 (run 1)'
    )
  })

  it('keeps a value of 1000 characters whole, and cuts a longer one to 1000 with …', () => {
    expect(escapeHtml('é'.repeat(MAX_VALUE))).toBe('é'.repeat(MAX_VALUE))
    expect(escapeHtml('é'.repeat(MAX_VALUE + 1))).toBe(`${'é'.repeat(MAX_VALUE - 1)}…`)
  })
})
