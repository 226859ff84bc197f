/**
 * `npm run docs:deployments`: the README's picture of what GitHub shows for the deploy ledger
 * (input environment), docs/deployments.png. Real runs of the built action (dist/) against the
 * simulator and the fake GitHub API: a backup step with `environment: production`, then the
 * rollback of a failed deploy (`if: failure()`), then the backup step of a new run of the same
 * commit, which the quarantine refuses. The deployment's statuses, as the fake recorded them, and
 * that step's error are drawn as a mock of the environment's deployments page and photographed
 * by headless Chromium. Run it by hand after `npm run build`; CI does not need Chromium.
 * Debian: `apt-get install chromium fonts-noto-color-emoji`.
 */
import { join } from 'node:path'
import { FakeGitHub } from '../simulator/github.js'
import { Simulator } from '../simulator/server.js'
import { LOCAL_GITHUB_TOKEN, runStep } from './local-runner.js'
import { screenshot } from './chromium.js'
import { ROOT } from './root.js'

const WIDTH = 900
const HEIGHT = 400

const CSS = `
body { margin: 0; background: #fff; color: #1f2328; font: 14px/1.5 -apple-system,
  BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { margin: 24px; }
h1 { font-size: 20px; font-weight: 600; margin: 0 0 4px; }
.sub { color: #59636e; margin-bottom: 16px; }
.box { border: 1px solid #d1d9e0; border-radius: 6px; }
.head { background: #f6f8fa; padding: 12px 16px; border-bottom: 1px solid #d1d9e0; }
.row { padding: 10px 16px; border-bottom: 1px solid #d1d9e0; display: flex; gap: 12px; }
.row:last-child { border-bottom: none; }
.state { font-weight: 600; width: 110px; white-space: nowrap; }
.failure { color: #d1242f; } .in_progress { color: #9a6700; } .success { color: #1a7f37; }
.desc { flex: 1; } a { color: #0969da; text-decoration: none; }
code { font: 12px ui-monospace, SFMono-Regular, "DejaVu Sans Mono", monospace;
  background: rgba(129,139,152,.12); padding: .2em .4em; border-radius: 6px; }
.error { margin-top: 16px; border: 1px solid #ff818266; background: #ffebe9; border-radius: 6px;
  padding: 12px 16px; }
`

const LABELS: Record<string, string> = {
  failure: '✕ Failure',
  in_progress: '● In progress',
  success: '✓ Success'
}

const escape = (text: string): string => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

const simulator = await Simulator.start({ backupDurationMs: 1000, restoreDurationMs: 1500 })
const github = await FakeGitHub.start({ token: LOCAL_GITHUB_TOKEN, runs: [] })
try {
  const connection = {
    api_url: simulator.url,
    api_token: simulator.token,
    server_id: '12345',
    environment: 'production'
  }
  const env = { GITHUB_API_URL: github.url, GITHUB_RUN_ID: '7201' }
  const backup = await runStep({ with: connection, env })
  const rollback = await runStep({
    with: { ...connection, mode: 'restore', backup_id: backup.outputs.backup_id ?? '' },
    env
  })
  const again = await runStep({ with: connection, env: { ...env, GITHUB_RUN_ID: '7202' } })
  if (backup.exitCode !== 0 || rollback.exitCode !== 0 || again.exitCode !== 1) {
    throw new Error('the steps did not end as the picture shows them')
  }
  const deployment = github.deployments[0]!
  const error = /^::error::(.*)$/m.exec(again.log)?.[1] ?? ''
  const rows = [...deployment.statuses]
    .reverse()
    .map(
      (s) =>
        `<div class="row"><span class="state ${s.state}">${LABELS[s.state] ?? s.state}</span><span class="desc">${escape(s.description)}</span><a href="#">View logs</a></div>`
    )
    .join('')
  const html = `<!doctype html><meta charset="utf-8"><style>${CSS}</style><main>
<h1>Deployments / production</h1>
<div class="sub">acme/shop · deployment ${deployment.id} of <code>${deployment.sha.slice(0, 7)}</code> by github-actions[bot]</div>
<div class="box"><div class="head"><strong>${escape(deployment.description ?? '')}</strong></div>${rows}</div>
<div class="error"><strong>Back up the server</strong> (run 7202, the same commit pushed again)<br>${escape(error)}</div>
</main>`
  const output = join(ROOT, 'docs', 'deployments.png')
  screenshot(html, output, WIDTH, HEIGHT)
  console.log(`Wrote ${output}: look at it before committing it.`)
} finally {
  await simulator.close()
  await github.close()
}
