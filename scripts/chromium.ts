import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Photographs a page of HTML into `output` (a PNG of `width` × `height`) with Debian's headless
 * `chromium` (`apt-get install chromium fonts-noto-color-emoji`), in a fresh profile, offline.
 * For the README's pictures only: CI never runs it.
 */
export function screenshot(html: string, output: string, width: number, height: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'vpsorg-screenshot-'))
  writeFileSync(join(dir, 'page.html'), html)
  execFileSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--screenshot=${output}`,
      `--window-size=${width},${height}`,
      `file://${join(dir, 'page.html')}`
    ],
    { stdio: 'ignore' }
  )
}
