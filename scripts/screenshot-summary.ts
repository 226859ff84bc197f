/**
 * `npm run docs:screenshot`: the job summaries of failed deploys as GitHub shows them, from real
 * runs of the built action (dist/) against the simulator, rendered with GitHub-like CSS and
 * photographed by headless Chromium:
 * - docs/job-summary.png: one server: the backup step (`id: backup`), then the rollback step with
 *   an app health check;
 * - docs/fleet-summary.png: three servers in one step: the backup step, then the rollback of every
 *   server from `steps.backup.outputs.backup_ids`.
 * Run it by hand after `npm run build` when the summary changes; CI does not need Chromium.
 * Debian: `apt-get install chromium fonts-noto-color-emoji`.
 */
import { join } from 'node:path'
import { marked } from 'marked'
import { Simulator, type SimulatorOptions } from '../simulator/server.js'
import { runStep, type StepResult } from './local-runner.js'
import { screenshot } from './chromium.js'
import { ROOT } from './root.js'

const WIDTH = 900

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

interface Picture {
  /** The file under docs/. */
  file: string
  /** Tall enough for the summaries; raise it if the picture is cut off. */
  height: number
  simulator: SimulatorOptions
  /** Runs the steps against the simulator; resolves to the steps, in order. */
  steps(simulator: Simulator): Promise<StepResult[]>
}

const PICTURES: Picture[] = [
  {
    file: 'job-summary.png',
    height: 1290,
    simulator: { backupDurationMs: 2000, restoreDurationMs: 2000, app: { bootMs: 2000 } },
    async steps(simulator) {
      const connection = { api_url: simulator.url, api_token: simulator.token, server_id: '12345' }
      const backup = await runStep({ with: connection, env: { GITHUB_ACTION: 'backup' } })
      const rollback = await runStep({
        with: {
          ...connection,
          mode: 'restore',
          backup_id: backup.outputs.backup_id ?? '',
          health_url: simulator.app(12345).healthUrl
        }
      })
      return [backup, rollback]
    }
  },
  {
    file: 'fleet-summary.png',
    height: 1030,
    // The servers of the README's fleet recipe, their backups of different lengths.
    simulator: {
      servers: [
        { id: 12345, name: 'web-01', backupDurationMs: 2000 },
        { id: 12346, name: 'web-02', backupDurationMs: 2500 },
        { id: 12347, name: 'worker-01', backupDurationMs: 3000 }
      ],
      restoreDurationMs: 2000
    },
    async steps(simulator) {
      const connection = {
        api_url: simulator.url,
        api_token: simulator.token,
        server_id: '12345, 12346, 12347'
      }
      const backup = await runStep({ with: connection, env: { GITHUB_ACTION: 'backup' } })
      const rollback = await runStep({
        with: { ...connection, mode: 'restore', backup_id: backup.outputs.backup_ids ?? '' }
      })
      return [backup, rollback]
    }
  }
]

/** Renders the steps' job summaries as GitHub does and photographs them into docs/<file>. */
async function photograph(picture: Picture, steps: StepResult[]): Promise<string> {
  const output = join(ROOT, 'docs', picture.file)
  const body = await marked.parse(steps.map((step) => step.summary).join('\n'))
  const html = `<!doctype html><meta charset="utf-8"><style>${CSS}</style>
<div class="card"><header>deploy summary</header><main>${body}</main></div>`
  screenshot(html, output, WIDTH, picture.height)
  return output
}

for (const picture of PICTURES) {
  const simulator = await Simulator.start(picture.simulator)
  try {
    const steps = await picture.steps(simulator)
    if (steps.some((step) => step.exitCode !== 0)) throw new Error(`${picture.file}: a step failed`)
    const output = await photograph(picture, steps)
    console.log(`Wrote ${output}: look at it before committing it.`)
  } finally {
    await simulator.close()
  }
}
