/**
 * `npm run demo`: the whole cycle against the built-in simulator, with the built dist/ run as the
 * runner runs it. Step 1 backs the server up before the deploy; step 2, the deploy, fails; step 3
 * (`if: failure()`) restores the server from the backup step 1 made, waits until it is active, and
 * then until the app on it answers its health check again (the simulator's app boots for 3 s).
 * Both steps keep the deploy ledger (`environment: production`) on a local fake of GitHub's
 * Deployments API: the demo ends with the deployment's statuses, as the Environments page lists them.
 * Before its restore request, step 3 says what the restore throws away (the data-loss window).
 */
import { FakeGitHub } from '../simulator/github.js'
import { Simulator } from '../simulator/server.js'
import { LOCAL_GITHUB_TOKEN, type StepResult, runStep } from './local-runner.js'

const SERVER_ID = 12345
const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)

/** A step's log as the Actions UI shows it: groups as headings, debug lines hidden. */
function show(title: string, result: StepResult): void {
  console.log(`\n${bold(`▶ ${title}`)}`)
  for (const line of result.log.trimEnd().split('\n')) {
    if (line.startsWith('::debug::') || line === '::endgroup::') continue
    const shown = line
      .replace(/^::group::(.*)$/, (_, name: string) => bold(`▾ ${name}`))
      .replace(/^::(error|warning|notice)[^:]*::/, (_, kind: string) => `${kind.toUpperCase()}: `)
    console.log(`  │ ${shown}`)
  }
  console.log(`  └ exit code ${result.exitCode}, ${(result.durationMs / 1000).toFixed(1)} s`)
  for (const [name, value] of Object.entries(result.outputs))
    console.log(`    outputs.${name} = ${value}`)
  console.log('    job summary (GITHUB_STEP_SUMMARY), as text:')
  for (const line of summaryText(result.summary)) console.log(`    ┆ ${line}`)
}

/** The job summary a step wrote, for a terminal: table rows as `name: value`, entities decoded. */
function summaryText(markdown: string): string[] {
  return markdown
    .trimEnd()
    .split('\n')
    .filter((line) => line !== '<table>' && line !== '</table>')
    .map((line) =>
      line
        .replace(/^<tr><th align="left">(.*?)<\/th><td>(.*)<\/td><\/tr>$/, '$1: $2')
        .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    )
}

const simulator = await Simulator.start({
  backupDurationMs: 4000,
  restoreDurationMs: 4000,
  app: { bootMs: 3000 }
})
const github = await FakeGitHub.start({ token: LOCAL_GITHUB_TOKEN, runs: [] })
const app = simulator.app(SERVER_ID)
const connection = {
  api_url: simulator.url,
  api_token: simulator.token,
  server_id: String(SERVER_ID),
  environment: 'production'
}
const env = { GITHUB_API_URL: github.url }
const status = (): string => simulator.server(SERVER_ID).status
try {
  console.log(`VPS.org API simulator at ${simulator.url}; server ${SERVER_ID} is ${status()}.`)

  // The step's id, as `id: backup` sets it: the summary's rollback snippet reads its output.
  const backup = await runStep({
    with: { ...connection, mode: 'backup' },
    env: { ...env, GITHUB_ACTION: 'backup' }
  })
  show('Step 1: back up the server before the deploy (mode: backup)', backup)
  if (backup.exitCode !== 0) throw new Error('the backup step failed')

  console.log(`\n${bold('▶ Step 2: deploy')}`)
  console.log('  │ Deploying release 2026.11.27 to web-server-01 ...')
  console.log('  │ ERROR: Health check failed: HTTP 502 from https://web01.example.com/health')
  console.log('  └ exit code 1: the job has failed, so `if: failure()` steps run')

  const statuses = [status()]
  const watch = setInterval(() => {
    if (statuses.at(-1) !== status()) statuses.push(status())
  }, 50)
  const rollback = await runStep({
    with: {
      ...connection,
      mode: 'restore',
      backup_id: backup.outputs.backup_id ?? '',
      health_url: app.healthUrl
    },
    env
  })
  clearInterval(watch)
  if (statuses.at(-1) !== status()) statuses.push(status())
  show(
    'Step 3: roll back (if: failure(), mode: restore, backup_id from step 1, health_url)',
    rollback
  )

  const dataLoss = rollback.log.split('\n').find((line) => line.endsWith('since then is lost.'))
  if (!dataLoss) throw new Error('the rollback step did not say what it throws away')
  console.log(`\nWhat the rollback threw away, as step 3 said before its restore request:`)
  console.log(`  ${bold(dataLoss)}`)
  const restored = simulator.restores.map((r) => r.backupId)
  console.log(
    `\nServer ${SERVER_ID} went ${statuses.join(' → ')}; restored from backup ${restored.join(', ')}.`
  )
  console.log(
    `The app answered ${app.requests.length} health checks: 503 while the server restored and the app booted, then 200.`
  )
  console.log(
    `Backups created: ${simulator.countRequests('POST', '/api/v1/backups/')}; API requests: ${simulator.requests.length}.`
  )
  const deployment = github.deployments[0]
  console.log(
    `\nGitHub deployment ${deployment?.id ?? '(none)'} of production (the Environments page), newest status first:`
  )
  for (const s of [...(deployment?.statuses ?? [])].reverse()) {
    console.log(`  ${s.state.padEnd(11)} ${s.description}  (${s.log_url})`)
  }
  if (rollback.exitCode !== 0 || status() !== 'active' || rollback.outputs.health !== 'healthy') {
    throw new Error('the rollback step failed')
  }
  if (deployment?.statuses.at(-1)?.state !== 'failure') {
    throw new Error('the rollback is not on the deployment')
  }
  console.log(
    bold('\nDemo complete: backed up, deploy failed, rolled back, server active, app healthy.')
  )
} catch (error) {
  console.error(`Demo failed: ${(error as Error).message}`)
  process.exitCode = 1
} finally {
  await simulator.close()
  await github.close()
}
