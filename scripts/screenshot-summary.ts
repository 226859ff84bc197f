/**
 * `npm run docs:screenshot`: docs/job-summary.png, the job summary of a failed deploy as GitHub
 * shows it, from a real run of the built action (dist/) against the simulator: the backup step
 * (`id: backup`), then the rollback step with an app health check. The summaries' Markdown is rendered with GitHub-like CSS
 * and photographed by headless Chromium. Run it by hand after `npm run build` when the summary
 * changes; CI does not need Chromium. Debian: `apt-get install chromium fonts-noto-color-emoji`.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { marked } from 'marked'
import { Simulator } from '../simulator/server.js'
import { runStep } from './local-runner.js'
import { ROOT } from './root.js'

const OUTPUT = join(ROOT, 'docs', 'job-summary.png')
const WIDTH = 900
/** Tall enough for both summaries; raise it if the picture is cut off. */
const HEIGHT = 1290

const CSS = `
body { margin: 0; background: #f6f8fa; color: #1f2328; font: 14px/1.5 -apple-system,
  BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif, "Noto Color Emoji"; }
.card { margin: 16px; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
.card > header { padding: 12px 16px; border-bottom: 1px solid #d1d9e0; font-weight: 600; }
.card > main { padding: 8px 24px 16px; }
h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0; margin: 24px 0 16px; }
h3 { font-size: 1.25em; margin: 24px 0 16px; }
table { border-collapse: collapse; margin-bottom: 16px; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
th { white-space: nowrap; }
tr:nth-child(2n) { background: #f6f8fa; }
code, pre { font: 12px/1.45 ui-monospace, SFMono-Regular, "DejaVu Sans Mono", monospace; }
code { background: rgba(129,139,152,.12); padding: .2em .4em; border-radius: 6px; }
pre { background: #f6f8fa; padding: 16px; border-radius: 6px; overflow: auto; }
pre code { background: none; padding: 0; }
`

const simulator = await Simulator.start({
  backupDurationMs: 2000,
  restoreDurationMs: 2000,
  app: { bootMs: 2000 }
})
try {
  const connection = { api_url: simulator.url, api_token: simulator.token, server_id: '12345' }
  const backup = await runStep({ with: connection, env: { GITHUB_ACTION: 'backup' } })
  const backupId = backup.outputs.backup_id ?? ''
  const rollback = await runStep({
    with: {
      ...connection,
      mode: 'restore',
      backup_id: backupId,
      health_url: simulator.app(12345).healthUrl
    }
  })
  if (backup.exitCode !== 0 || rollback.exitCode !== 0) throw new Error('a step failed')
  const body = await marked.parse(backup.summary + '\n' + rollback.summary)
  const html = `<!doctype html><meta charset="utf-8"><style>${CSS}</style>
<div class="card"><header>deploy summary</header><main>${body}</main></div>`
  const dir = mkdtempSync(join(tmpdir(), 'vpsorg-screenshot-'))
  writeFileSync(join(dir, 'summary.html'), html)
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
      `--screenshot=${OUTPUT}`,
      `--window-size=${WIDTH},${HEIGHT}`,
      `file://${join(dir, 'summary.html')}`
    ],
    { stdio: 'ignore' }
  )
  console.log(`Wrote ${OUTPUT}: look at it before committing it.`)
} finally {
  await simulator.close()
}
