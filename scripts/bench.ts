/**
 * `npm run bench`: how quickly the action notices a finished backup, how many status requests it
 * spends doing so, and what it costs to start. Five parts:
 *
 * 1. The waiting policy (src/common/wait.ts) on a simulated clock, beside fixed 5 s, 10 s and 30 s loops.
 * 2. The built dist/index.js, run as the runner runs it, against the simulator over loopback;
 *    lateness and polls are taken from the simulator's own log.
 * 3. Start-up: wall time and peak RSS of `node dist/index.js` up to its first request (a plain
 *    backup, and a restore of `run:<id>` whose first request goes to the GitHub API), beside a bare
 *    `node -e 0`, an ncc bundle of bench/core-only.js (only @actions/core) and the floor: an ncc
 *    bundle of bench/stack.js (@actions/core and @actions/github), and a check of dist/index.js
 *    for libraries bundled twice.
 * 4. App health checks: awaitHealthy on a simulated clock for app boot times of 5 s,
 *    1 min and 10 min, and the built action in restore mode against the simulator's app.
 * 5. Several servers in one step (scripts/bench-fleet.ts): the action's one poll loop for all the
 *    backups against one loop per server, on a discrete-event clock, and the built action backing
 *    up 10 servers against the simulator.
 * 6. health_watch (scripts/bench-watch.ts): how soon after an app breaks during the watch the
 *    step fails, on a simulated clock.
 *
 * Prints Markdown and writes it to bench/results.md. It reports targets; it never fails on them.
 */
import { spawn, spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { Simulator, seededRandom } from '../simulator/server.js'
import { CONFIRM_INTERVAL_MS } from '../src/inputs/settings.js'
import { adaptivePolicy, fixedPolicy } from '../src/common/wait.js'
import { runStep, stepEnv } from './local-runner.js'
import { benchFleet } from './bench-fleet.js'
import { benchWatch } from './bench-watch.js'
import {
  HOUR,
  MINUTE,
  type Measured,
  SECOND,
  allowance,
  durationLabel,
  emit,
  emitted,
  measureEach,
  median,
  progress,
  seconds,
  table,
  verdict
} from './bench-report.js'
import { ROOT } from './root.js'
import { type SimulatedWait, simulateHealth, simulateWait } from './simulated-wait.js'

const MIB = 1024 * 1024
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`
const kb = (bytes: number): string => `${(bytes / 1000).toFixed(0)} kB`

/** Simulated round trip of one status request: 25 ms there, 25 ms back. */
const LATENCY_MS = 50
const SEEDS = 20
const TARGETS_MS = [5 * SECOND, 20 * SECOND, MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR]
/** The issue's request budgets (adaptive policy, worst seed). */
const REQUEST_BUDGETS = new Map([
  [20 * SECOND, 12],
  [30 * MINUTE, 70],
  [2 * HOUR, 160]
])
const SWEEP_POINTS = 400
const SWEEP_LATENCIES_MS = [0, LATENCY_MS, 200]
/** Runs of each start-up variant; `--runs N` changes it. */
let startupRuns = 41
/** `--compare <path>`: another build of dist/index.js, started in the same interleaved runs. */
let compareBundle: string | undefined
const STARTUP_WARMUP = 2
const SERVER_ID = '12345'
const TIME = '/usr/bin/time'

/** The inputs that point a step at `sim`'s server. */
const connection = (sim: Simulator): Record<string, string> => ({
  api_url: sim.url,
  api_token: sim.token,
  server_id: SERVER_ID
})

/** Runs `use` with a simulator started with `options`, and closes it after, whatever happened. */
async function withSimulator<T>(
  options: Parameters<typeof Simulator.start>[0],
  use: (sim: Simulator) => Promise<T>
): Promise<T> {
  const sim = await Simulator.start(options)
  try {
    return await use(sim)
  } finally {
    await sim.close()
  }
}

// ---------------------------------------------------------------- 1. simulated clock

async function adaptiveRuns(targetMs: number, latencyMs = LATENCY_MS): Promise<SimulatedWait[]> {
  const runs: SimulatedWait[] = []
  for (let seed = 1; seed <= SEEDS; seed++) {
    runs.push(await simulateWait(adaptivePolicy, targetMs, seededRandom(seed), latencyMs))
  }
  return runs
}

/** One row of the policy table (T), and its checks against the allowance and the budget. */
async function policyRow(targetMs: number): Promise<Measured> {
  const runs = await adaptiveRuns(targetMs)
  const late = runs.map((r) => r.latenessMs)
  const requests = runs.map((r) => r.requests)
  const worstLate = Math.max(...late)
  const worstRequests = Math.max(...requests)
  const fixed: string[] = []
  for (const interval of [5, 10, 30]) {
    const run = await simulateWait(
      fixedPolicy(interval * SECOND),
      targetMs,
      Math.random,
      LATENCY_MS
    )
    fixed.push(`${seconds(run.latenessMs)} / ${run.requests}`)
  }
  const allowed = allowance(targetMs)
  const row = [
    durationLabel(targetMs),
    seconds(allowed),
    `${seconds(median(late))} / ${seconds(worstLate)}`,
    `${median(requests)} / ${worstRequests}`,
    ...fixed
  ]
  const checks = [
    `- T = ${durationLabel(targetMs)}: lateness ${verdict(worstLate <= allowed, `worst ${seconds(worstLate)}, allowed ${seconds(allowed)}`)}`
  ]
  const budget = REQUEST_BUDGETS.get(targetMs)
  if (budget !== undefined) {
    checks.push(
      `- T = ${durationLabel(targetMs)}: requests ${verdict(worstRequests <= budget, `worst ${worstRequests}, allowed ${budget}`)}`
    )
  }
  return { row, checks }
}

/**
 * The target holds "for T from 5 s to 2 h": sweep T, not only the six values of the table, and
 * show how the request latency weighs on the margin. One line per latency.
 */
async function sweepLine(latencyMs: number): Promise<string> {
  let worst = { excessMs: -Infinity, targetMs: 0, latenessMs: 0 }
  for (let i = 0; i < SWEEP_POINTS; i++) {
    const targetMs = Math.round(
      5 * SECOND * ((2 * HOUR) / (5 * SECOND)) ** (i / (SWEEP_POINTS - 1))
    )
    for (const run of await adaptiveRuns(targetMs, latencyMs)) {
      const excessMs = run.latenessMs - allowance(targetMs)
      if (excessMs > worst.excessMs) worst = { excessMs, targetMs, latenessMs: run.latenessMs }
    }
  }
  const over = worst.excessMs > 0
  return `- Sweep, ${SWEEP_POINTS} values of T from 5 s to 2 h (log-spaced) × ${SEEDS} seeds, ${latencyMs} ms per request${latencyMs === LATENCY_MS ? ' (as in the table)' : ''}: lateness ${verdict(!over, `${(Math.abs(worst.excessMs) / SECOND).toFixed(3)} s ${over ? 'over' : 'to spare'} at worst: ${(worst.latenessMs / SECOND).toFixed(3)} s late at T = ${seconds(worst.targetMs)}, allowed ${seconds(allowance(worst.targetMs))}`)}`
}

async function benchPolicy(): Promise<void> {
  progress('1. waiting policy on a simulated clock')
  emit(
    '## 1. Waiting policy on a simulated clock',
    '',
    `\`waitFor\` from src/common/wait.ts with a clock whose sleep advances time at once. The backup completes T after it started; every status request costs ${LATENCY_MS} ms of simulated time (the server answers with the state at the request's arrival, half-way). Lateness: when the step learns of the completion, minus T. Adaptive: \`adaptivePolicy\` with seeded jitter (mulberry32), median / worst of ${SEEDS} seeds. Fixed loops: \`fixedPolicy\` (sleep, then ask). Allowance: max(2 s, T/10), at most 60 s.`,
    ''
  )
  const { rows, checks } = await measureEach(TARGETS_MS, policyRow)
  emit(
    ...table(
      [
        'T',
        'allowance',
        'adaptive: late (median / worst)',
        'adaptive: requests (median / worst)',
        'fixed 5 s: late / requests',
        'fixed 10 s: late / requests',
        'fixed 30 s: late / requests'
      ],
      rows,
      [true, true, true, true, true, true, true]
    ),
    ''
  )
  const sweep: string[] = []
  for (const latencyMs of SWEEP_LATENCIES_MS) sweep.push(await sweepLine(latencyMs))
  emit('Targets (adaptive policy, worst seed):', '', ...checks, ...sweep, '')
}

// ---------------------------------------------------------------- 2. the real thing

interface RealCase {
  label: string
  durationMs: number
  with: Record<string, string>
}

/** One backup step of dist/ against the simulator: its row of the table, and its checks. */
async function realRow(c: RealCase): Promise<Measured> {
  progress(`2. dist/ against the simulator: ${c.label}, backup of ${durationLabel(c.durationMs)}`)
  return withSimulator({ backupDurationMs: c.durationMs }, async (sim) => {
    const step = await runStep({ with: { ...connection(sim), mode: 'backup', ...c.with } })
    const exitAt = Date.now()
    const post = sim.requests.findIndex((r) => r.method === 'POST' && r.path === '/api/v1/backups/')
    const polls = sim.requests
      .slice(post + 1)
      .filter((r) => r.method === 'GET' && r.path === '/api/v1/backups/')
    const completed = sim.events.find((e) => e.type === 'backup-completed')
    const last = polls.at(-1)
    const ok = step.exitCode === 0 && post >= 0 && completed !== undefined && last !== undefined
    if (!ok || last.at < completed.at) {
      return {
        row: [c.label, durationLabel(c.durationMs), '?', '?', '?', '?', String(step.exitCode)],
        checks: [`- ${c.label}, ${durationLabel(c.durationMs)}: the run failed:\n\n${step.log}`]
      }
    }
    const latenessMs = last.at - completed.at
    const row = [
      c.label,
      durationLabel(c.durationMs),
      String(polls.length),
      seconds(latenessMs),
      seconds(exitAt - completed.at),
      seconds(step.durationMs),
      String(step.exitCode),
      String(sim.requests.length)
    ]
    if (c.label !== 'adaptive' || c.durationMs !== 20 * SECOND) return { row, checks: [] }
    return {
      row,
      checks: [
        `- 20 s backup noticed within 2 s: ${verdict(latenessMs <= 2 * SECOND, seconds(latenessMs))}`,
        `- 20 s backup with at most 12 polls: ${verdict(polls.length <= 12, `${polls.length} polls`)}`
      ]
    }
  })
}

async function benchReal(): Promise<void> {
  emit(
    '## 2. The built action against the simulator',
    '',
    'dist/index.js run by scripts/local-runner.ts (`runStep`, one process as the runner does) in backup mode against the simulator over loopback. From the simulator\'s own log: status polls are the `GET /api/v1/backups/` after the `POST`; lateness is the arrival of the poll that saw `completed` minus the backup\'s true completion (`sim.events`); "exit" is the end of the step process minus the completion.',
    ''
  )
  const cases: RealCase[] = [
    { label: 'adaptive', durationMs: 5 * SECOND, with: {} },
    { label: 'adaptive', durationMs: 20 * SECOND, with: {} },
    {
      label: 'fixed 5 s (`poll_interval: 5`)',
      durationMs: 20 * SECOND,
      with: { poll_interval: '5' }
    }
  ]
  const { rows, checks } = await measureEach(cases, realRow)
  emit(
    ...table(
      [
        'policy',
        'backup takes',
        'status polls',
        'noticed late',
        'exit after completion',
        'step wall time',
        'exit code',
        'all requests'
      ],
      rows,
      [false, true, true, true, true, true, true, true]
    ),
    '',
    'Targets:',
    '',
    ...checks,
    ''
  )
}

// ---------------------------------------------------------------- 3. start-up cost

interface StartupRun {
  /** Spawn to the first request (dist) or to the exit (baselines). */
  wallMs: number
  /** Peak RSS up to that moment. */
  peakRssBytes: number | undefined
  /** CPU time (user + system) up to that moment, in clock ticks of 10 ms: steady under load. */
  cpuMs: number | undefined
  /** dist only: spawn to exit (its first request is answered 401) and the peak RSS of that run. */
  exitMs?: number
  exitPeakRssBytes?: number
}

function vmHwmBytes(pid: number): number | undefined {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kib === undefined ? undefined : Number(kib) * 1024
  } catch {
    return undefined
  }
}

/** User + system CPU time of a running process, from /proc (clock ticks of 10 ms, Linux's USER_HZ). */
function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/** The process whose parent is `ppid` (the node under /usr/bin/time). */
function childOf(ppid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === ppid) return Number(entry)
    } catch {
      // gone meanwhile
    }
  }
  return undefined
}

/**
 * Runs `node <args>` once, under /usr/bin/time when there is one (for the peak RSS). With
 * `server`, the run is timed to the first request the server receives, which is answered 401 so
 * that the step ends; without, to the exit.
 */
async function startOnce(
  args: string[],
  env: Record<string, string>,
  dir: string,
  server: Server | undefined,
  useTime: boolean
): Promise<StartupRun> {
  const timeFile = join(dir, 'time.txt')
  rmSync(timeFile, { force: true })
  const command = useTime ? TIME : process.execPath
  const commandArgs = useTime ? ['-f', '%U %S %M', '-o', timeFile, process.execPath, ...args] : args
  let arrival: { at: number; rss: number | undefined; cpuMs: number | undefined } | undefined
  const started = performance.now()
  const child = spawn(command, commandArgs, { env, cwd: dir, stdio: 'ignore' })
  const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
    if (!arrival) {
      const at = performance.now()
      // The step waits for the answer: its peak RSS so far is the one up to this request.
      const nodePid = useTime ? childOf(child.pid!) : child.pid
      arrival =
        nodePid === undefined
          ? { at, rss: undefined, cpuMs: undefined }
          : { at, rss: vmHwmBytes(nodePid), cpuMs: cpuMsOf(nodePid) }
    }
    res.writeHead(401, {
      'content-type': 'application/json',
      'www-authenticate': 'Bearer realm="api"',
      connection: 'close'
    })
    res.end(JSON.stringify({ detail: 'Invalid token.' }))
  }
  server?.on('request', onRequest)
  const exitAt = await new Promise<number>((resolve) =>
    child.on('exit', () => resolve(performance.now()))
  )
  server?.off('request', onRequest)
  let rss: number | undefined
  let cpuMs: number | undefined
  if (useTime && existsSync(timeFile)) {
    // "%U %S %M" is the last line; a line before it tells a non-zero exit status.
    const [user, system, kib] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ')
    rss = Number.isFinite(Number(kib)) ? Number(kib) * 1024 : undefined
    cpuMs = (Number(user) + Number(system)) * 1000
    if (!Number.isFinite(cpuMs)) cpuMs = undefined
  }
  if (!server) return { wallMs: exitAt - started, peakRssBytes: rss, cpuMs }
  if (!arrival) throw new Error(`node ${args.join(' ')} exited without making a request`)
  return {
    wallMs: arrival.at - started,
    peakRssBytes: arrival.rss,
    cpuMs: arrival.cpuMs,
    exitMs: exitAt - started,
    exitPeakRssBytes: rss
  }
}

/** Counts of strings that appear once per bundled copy of a library. */
const MARKERS: Array<[string, string]> = [
  ['undici', 'class UndiciError extends'],
  ['undici (its connect-timeout error)', 'Symbol.for("undici.error.UND_ERR_CONNECT_TIMEOUT")'],
  ['@actions/http-client', 'class HttpClientResponse'],
  ['tunnel', 'function TunnelingAgent('],
  ['@actions/core', 'function setOutput('],
  ['Octokit (`@octokit/core`)', 'class Octokit'],
  ['`@octokit/request-error`', 'class RequestError extends Error']
]

function count(text: string, needle: string): number {
  return text.toLowerCase().split(needle.toLowerCase()).length - 1
}

/** How many times each class name is defined in a bundle. */
function classCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const match of text.matchAll(/\bclass ([A-Za-z_$][\w$]{3,})\b/g)) {
    counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1)
  }
  return counts
}

/** Names defined more than once: a library bundled twice, most likely. */
const repeated = (counts: Map<string, number>): string[] =>
  [...counts].filter(([, n]) => n > 1).map(([name, n]) => `\`${name}\` ×${n}`)

interface Baselines {
  coreBundle: string
  stackBundle: string
  /** The floor making the first request of a restore of `run:<id>` through Octokit. */
  stackRequestBundle: string
}

/** The baselines, built by this run with ncc: bench/core-only.js, bench/stack.js (the floor), bench/stack-request.js. */
function buildBaselines(dir: string): Baselines {
  const ncc = join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js')
  const bundle = (name: string): string => {
    const build = spawnSync(
      process.execPath,
      [ncc, 'build', `bench/${name}.js`, '-o', join(dir, name), '--minify', '--quiet'],
      { cwd: ROOT, encoding: 'utf8' }
    )
    if (build.status !== 0) throw new Error(`ncc build failed: ${build.stderr}`)
    return join(dir, name, 'index.js')
  }
  return {
    coreBundle: bundle('core-only'),
    stackBundle: bundle('stack'),
    stackRequestBundle: bundle('stack-request')
  }
}

interface Variant {
  name: string
  args: string[]
  /** Timed to its first request (dist) rather than to its exit. */
  wait: boolean
  /** The bundle whose size the table shows. */
  file: string | undefined
  env: Record<string, string>
}

/** What is started: the baselines, then dist/ as a backup step and as a restore of `run:<id>`. */
function startupVariants(
  dir: string,
  origin: string,
  bundles: Baselines & { distBundle: string }
): Variant[] {
  const { coreBundle, stackBundle, stackRequestBundle, distBundle } = bundles
  const common = { api_url: `${origin}/api/v1`, api_token: 'vps_bench_token', server_id: SERVER_ID }
  const stepDir = (name: string): string => {
    mkdirSync(join(dir, name))
    return join(dir, name)
  }
  const env = stepEnv(stepDir('backup-step'), { with: { ...common, mode: 'backup' } })
  // The GitHub API is the same local server: the run is read before any VPS.org request.
  const runEnv = stepEnv(stepDir('run-step'), {
    with: {
      ...common,
      mode: 'restore',
      backup_id: 'run:9876543210',
      only_if_step_started: 'Deploy',
      github_token: 'ghs_bench_token'
    },
    env: { GITHUB_API_URL: origin }
  })
  return [
    { name: 'bare `node -e 0` (to exit)', args: ['-e', '0'], wait: false, file: undefined, env },
    { name: 'core-only bundle (to exit)', args: [coreBundle], wait: false, file: coreBundle, env },
    {
      name: 'stack bundle: the floor (to exit)',
      args: [stackBundle],
      wait: false,
      file: stackBundle,
      env
    },
    {
      name: 'dist/index.js, backup (to first request)',
      args: [distBundle],
      wait: true,
      file: distBundle,
      env
    },
    {
      name: 'dist/index.js, restore `run:<id>` with `only_if_step_started` (to first request: GitHub)',
      args: [distBundle],
      wait: true,
      file: undefined,
      env: runEnv
    },
    {
      name: 'stack bundle making that request: Octokit `getWorkflowRun` (to first request: GitHub)',
      args: [stackRequestBundle],
      wait: true,
      file: stackRequestBundle,
      env: runEnv
    },
    // `--compare <dist/index.js>`: another build (e.g. main's) in the same interleaved runs.
    ...(compareBundle === undefined
      ? []
      : [
          {
            name: `${compareBundle}, backup (to first request)`,
            args: [compareBundle],
            wait: true,
            file: compareBundle,
            env
          },
          {
            name: `${compareBundle}, restore \`run:<id>\` (to first request: GitHub)`,
            args: [compareBundle],
            wait: true,
            file: undefined,
            env: runEnv
          }
        ])
  ]
}

/** The runs of each variant after the warm-up, all interleaved. */
async function startRuns(
  variants: Variant[],
  dir: string,
  server: Server,
  useTime: boolean
): Promise<StartupRun[][]> {
  const results = variants.map(() => [] as StartupRun[])
  for (let i = 0; i < STARTUP_WARMUP + startupRuns; i++) {
    for (const [v, variant] of variants.entries()) {
      const run = await startOnce(
        variant.args,
        variant.env,
        dir,
        variant.wait ? server : undefined,
        useTime
      )
      if (i >= STARTUP_WARMUP) results[v]!.push(run)
    }
  }
  return results
}

type StartupSummary = ReturnType<typeof summarise>

function summarise(runs: StartupRun[]) {
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    minMs: Math.min(...runs.map((r) => r.wallMs)),
    maxMs: Math.max(...runs.map((r) => r.wallMs)),
    rss: runs.every((r) => r.peakRssBytes !== undefined)
      ? median(runs.map((r) => r.peakRssBytes!))
      : undefined,
    cpuMs: runs.every((r) => r.cpuMs !== undefined)
      ? runs.reduce((sum, r) => sum + r.cpuMs!, 0) / runs.length
      : undefined,
    exitMs: runs[0]?.exitMs === undefined ? undefined : median(runs.map((r) => r.exitMs!)),
    exitRss: runs.every((r) => r.exitPeakRssBytes !== undefined)
      ? median(runs.map((r) => r.exitPeakRssBytes!))
      : undefined
  }
}

const ratio = (ms: number, floorMs: number): string => `${(ms / floorMs).toFixed(2)}×`

/** The start-up table's rows: one per variant, and dist/'s whole run. */
function startupRows(variants: Variant[], summary: StartupSummary[]): string[][] {
  const core = summary[1]!
  const floor = summary[2]!
  const dist = summary[3]!
  const rssDiff = (bytes: number | undefined): string =>
    bytes === undefined || floor.rss === undefined
      ? 'n/a'
      : `${bytes >= floor.rss ? '+' : '−'}${mib(Math.abs(bytes - floor.rss))}`
  const rows = variants.map((variant, v) => {
    const s = summary[v]!
    return [
      variant.name,
      `${s.wallMs.toFixed(1)} ms`,
      ratio(s.wallMs, floor.wallMs),
      ratio(s.wallMs, core.wallMs),
      `${s.minMs.toFixed(1)} ms`,
      ratio(s.minMs, floor.minMs),
      `${s.maxMs.toFixed(1)} ms`,
      s.rss === undefined ? 'n/a' : mib(s.rss),
      rssDiff(s.rss),
      s.cpuMs === undefined ? 'n/a' : `${s.cpuMs.toFixed(0)} ms`,
      s.cpuMs === undefined || floor.cpuMs === undefined ? 'n/a' : ratio(s.cpuMs, floor.cpuMs),
      variant.file ? kb(statSync(variant.file).size) : '–'
    ]
  })
  if (dist.exitMs !== undefined) {
    rows.push([
      'dist/index.js, backup, whole run (first request answered 401, to exit)',
      `${dist.exitMs.toFixed(1)} ms`,
      ratio(dist.exitMs, floor.wallMs),
      ratio(dist.exitMs, core.wallMs),
      '',
      '',
      '',
      dist.exitRss === undefined ? 'n/a' : mib(dist.exitRss),
      rssDiff(dist.exitRss),
      '',
      '',
      ''
    ])
  }
  return rows
}

function emitStartupTable(rows: string[][], useTime: boolean, loadBefore: string[]): void {
  const load = os.loadavg().map((n) => n.toFixed(2))
  emit(
    '## 3. Start-up cost',
    '',
    `Wall time from spawn to the first request reaching a local HTTP server (dist/index.js, the step's environment as local-runner builds it: a backup, whose first request goes to VPS.org; a restore of \`run:<id>\` with \`only_if_step_started\`, whose first request goes to the GitHub API, \`GITHUB_API_URL\` pointing at the same server) or to the exit (baselines): median, min and max of ${startupRuns} runs after ${STARTUP_WARMUP} warm-up runs, all interleaved. ${useTime ? `Peak RSS: for dist/index.js, VmHWM of its process read from /proc when its first request arrives; for the baselines, \`${TIME} -f %M\` (ru_maxrss at exit). Every run goes through \`${TIME}\`, so its cost is the same in all rows. CPU: user + system time, which other work on the machine barely changes (wall time it does): for dist/index.js from /proc/<pid>/stat when its first request arrives, for the baselines from \`${TIME}\` at exit; both count in 10 ms ticks, hence the mean.` : `${TIME} is missing: peak RSS and CPU not measured.`} The floor is the stack bundle, \`ncc build bench/stack.js -o <tmp> --minify\` (\`@actions/core\` and \`@actions/github\`'s \`context\` and \`getOctokit\`, one \`setOutput\`); the core-only bundle (\`bench/core-only.js\`, only \`@actions/core\`) was the floor before the action used \`@actions/github\`. The third baseline (\`bench/stack-request.js\`) is the floor making the first request of a restore of \`run:<id>\`, Octokit's \`getWorkflowRun\`: what the stack itself costs before that request. All three are built by this run. The bundle column shows dist/index.js alone: the chunks ncc splits off (restore, the app checks and their probes, the summary) are loaded when a step needs them. Load average before the runs: ${loadBefore.join(', ')}; after: ${load.join(', ')} (other work on the machine widens the spread; the minimum is the least disturbed run).`,
    '',
    ...table(
      [
        'program',
        'median',
        'vs floor',
        'vs core-only',
        'min',
        'vs floor',
        'max',
        'peak RSS (median)',
        'vs floor',
        'CPU (mean)',
        'vs floor',
        'bundle'
      ],
      rows,
      [false, true, true, true, true, true, true, true, true, true, true, true]
    ),
    ''
  )
}

/** The start-up targets of one dist/ variant, against the floor and the core-only bundle. */
function startupTargets(
  run: StartupSummary,
  floor: StartupSummary,
  core: StartupSummary,
  label: string
): string[] {
  return [
    `- ${label}: start-up within 1.15× of the floor: ${verdict(run.wallMs <= 1.15 * floor.wallMs, `${ratio(run.wallMs, floor.wallMs)}: ${run.wallMs.toFixed(1)} ms vs ${floor.wallMs.toFixed(1)} ms; ${ratio(run.wallMs, core.wallMs)} the core-only bundle's ${core.wallMs.toFixed(1)} ms`)}${run.cpuMs === undefined || floor.cpuMs === undefined || core.cpuMs === undefined ? '' : `; CPU time ${ratio(run.cpuMs, floor.cpuMs)} the floor's, ${ratio(run.cpuMs, core.cpuMs)} the core-only bundle's`}`,
    run.rss === undefined || floor.rss === undefined
      ? `- ${label}: peak RSS within 5 MiB of the floor: not measured`
      : `- ${label}: peak RSS within 5 MiB of the floor: ${verdict(run.rss - floor.rss <= 5 * MIB, `${mib(run.rss)} vs ${mib(floor.rss)}`)}`
  ]
}

/** Libraries bundled more than once, and the start-up targets. */
function emitDuplicates(
  bundles: Baselines & { distBundle: string },
  summary: StartupSummary[]
): void {
  // dist/index.js and the chunks it loads on demand.
  const distText = readdirSync(dirname(bundles.distBundle))
    .filter((file) => file.endsWith('.js'))
    .map((file) => readFileSync(join(dirname(bundles.distBundle), file), 'utf8'))
    .join('\n')
  const stackText = readFileSync(bundles.stackBundle, 'utf8')
  const coreText = readFileSync(bundles.coreBundle, 'utf8')
  const markerRows = MARKERS.map(([library, marker]) => [
    library,
    `\`${marker}\``,
    String(count(distText, marker)),
    String(count(stackText, marker)),
    String(count(coreText, marker))
  ])
  const distClasses = classCounts(distText)
  const stackClasses = classCounts(stackText)
  const coreClasses = classCounts(coreText)
  // A bundle that holds one copy of each library may still repeat a name defined twice inside
  // one library (undici has two `Request` classes): only names dist/ repeats more often count.
  const extra = [...distClasses]
    .filter(([name, n]) => n > 1 && n > (stackClasses.get(name) ?? 1))
    .map(([name, n]) => `\`${name}\` ×${n}`)
  const copies = MARKERS.filter(([, marker]) => count(distText, marker) > 1).map(([lib]) => lib)
  const [, core, floor, dist, runRestore, stackRequest, compareBackup, compareRun] = summary as [
    StartupSummary,
    StartupSummary,
    StartupSummary,
    StartupSummary,
    StartupSummary,
    StartupSummary,
    StartupSummary?,
    StartupSummary?
  ]
  emit(
    'Libraries bundled more than once (`grep -c`-style counts of strings that occur once per copy):',
    '',
    ...table(['library', 'marker', 'dist/index.js', 'stack (floor)', 'core-only'], markerRows, [
      false,
      false,
      true,
      true,
      true
    ]),
    '',
    `Class names defined more than once: dist/index.js: ${repeated(distClasses).join(', ') || 'none'}; stack bundle: ${repeated(stackClasses).join(', ') || 'none'}; core-only bundle: ${repeated(coreClasses).join(', ') || 'none'}. More often in dist/ than in the stack bundle: ${extra.join(', ') || 'none'}.`,
    '',
    'Targets:',
    '',
    ...startupTargets(dist, floor, core, 'Backup'),
    ...startupTargets(runRestore, floor, core, 'Restore `run:<id>` (GitHub API first)'),
    `- Restore \`run:<id>\` against the stack making the same first request through Octokit (no target; what the action adds to it): ${ratio(runRestore.wallMs, stackRequest.wallMs)} (${runRestore.wallMs.toFixed(1)} ms vs ${stackRequest.wallMs.toFixed(1)} ms; that request alone costs the stack ${ratio(stackRequest.wallMs, floor.wallMs)} the floor)`,
    ...(compareBackup && compareRun
      ? [
          `- Against ${compareBundle} in the same runs: backup ${ratio(dist.wallMs, compareBackup.wallMs)} its wall time (median), restore \`run:<id>\` ${ratio(runRestore.wallMs, compareRun.wallMs)}${dist.cpuMs === undefined || compareBackup.cpuMs === undefined || runRestore.cpuMs === undefined || compareRun.cpuMs === undefined ? '' : `; CPU time: backup ${ratio(dist.cpuMs, compareBackup.cpuMs)}, restore \`run:<id>\` ${ratio(runRestore.cpuMs, compareRun.cpuMs)}`}`
        ]
      : []),
    `- No duplicate copies of a library in dist/: ${verdict(copies.length === 0 && extra.length === 0, `markers counted more than once: ${copies.join(', ') || 'none'}; class names repeated beyond the floor: ${extra.length}`)}`,
    ''
  )
}

async function benchStartup(): Promise<void> {
  progress('3. start-up: building the core-only and stack bundles with ncc')
  const dir = mkdtempSync(join(os.tmpdir(), 'vpsorg-bench-'))
  const bundles = { ...buildBaselines(dir), distBundle: join(ROOT, 'dist', 'index.js') }
  const useTime = existsSync(TIME)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const variants = startupVariants(dir, origin, bundles)
  const loadBefore = os.loadavg().map((n) => n.toFixed(2))
  progress(`3. start-up: ${STARTUP_WARMUP} + ${startupRuns} runs of each, interleaved`)
  let results: StartupRun[][]
  try {
    results = await startRuns(variants, dir, server, useTime)
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  const summary = results.map(summarise)
  emitStartupTable(startupRows(variants, summary), useTime, loadBefore)
  emitDuplicates(bundles, summary)
  rmSync(dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------- 4. app health checks

const BOOTS_MS = [5 * SECOND, MINUTE, 10 * MINUTE]
const THRESHOLDS = [1, 2, 5]

async function benchHealthSimulated(): Promise<void> {
  progress('4. app health checks')
  emit(
    '## 4. App health checks',
    '',
    `\`awaitHealthy\` from src/health/health.ts (built on \`waitFor\` with \`adaptivePolicy\`) on a simulated clock. The app becomes healthy T after the checks start (the server is active); each probe costs ${LATENCY_MS} ms and sees the state at its arrival. The app counts as healthy once \`health_threshold\` (k) rounds in a row pass; after a passing round the confirming rounds follow ${CONFIRM_INTERVAL_MS / SECOND} s apart. **Lateness** = when the step declares the app healthy − T − (k − 1) × ${CONFIRM_INTERVAL_MS / SECOND} s: the confirming rounds are the price of the threshold, stated apart. Target: lateness within max(2 s, T/10). Median / worst of ${SEEDS} seeds.`,
    ''
  )
  const rows: string[][] = []
  const checks: string[] = []
  for (const bootMs of BOOTS_MS) {
    for (const threshold of THRESHOLDS) {
      const runs: SimulatedWait[] = []
      for (let seed = 1; seed <= SEEDS; seed++) {
        runs.push(
          await simulateHealth(bootMs, threshold, {
            random: seededRandom(seed),
            latencyMs: LATENCY_MS
          })
        )
      }
      const late = runs.map((r) => r.latenessMs)
      const requests = runs.map((r) => r.requests)
      const worst = Math.max(...late)
      const allowed = allowance(bootMs)
      rows.push([
        durationLabel(bootMs),
        String(threshold),
        seconds(allowed),
        `${seconds(median(late))} / ${seconds(worst)}`,
        seconds(worst + (threshold - 1) * CONFIRM_INTERVAL_MS),
        `${median(requests)} / ${Math.max(...requests)}`
      ])
      checks.push(
        `- T = ${durationLabel(bootMs)}, k = ${threshold}: lateness ${verdict(worst <= allowed, `worst ${seconds(worst)}, allowed ${seconds(allowed)}`)}`
      )
    }
  }
  emit(
    ...table(
      [
        'app boot T',
        'k',
        'allowance',
        'late (median / worst)',
        'worst with confirming rounds',
        'probes (median / worst)'
      ],
      rows,
      [true, true, true, true, true, true]
    ),
    '',
    'Targets:',
    '',
    ...checks,
    ''
  )
}

/** A restore step of dist/ whose app boots in `bootMs`: its row of the table, and its checks. */
async function realHealthRow(bootMs: number): Promise<{ row?: string[]; checks: string[] }> {
  progress(`4. dist/ restore with an app that boots in ${durationLabel(bootMs)}`)
  return withSimulator({ restoreDurationMs: 2 * SECOND, app: { bootMs } }, async (sim) => {
    const backup = sim.addBackup({ serverId: Number(SERVER_ID) })
    const app = sim.app(Number(SERVER_ID))
    const step = await runStep({
      with: {
        ...connection(sim),
        mode: 'restore',
        backup_id: String(backup.id),
        health_url: app.healthUrl
      }
    })
    const exitAt = Date.now()
    const since = app.healthySince
    const last = app.requests.at(-1)
    if (step.exitCode !== 0 || since === undefined || last === undefined) {
      return { checks: [`- app boot ${durationLabel(bootMs)}: the run failed:\n\n${step.log}`] }
    }
    const latenessMs = last.at - since - CONFIRM_INTERVAL_MS
    const row = [
      durationLabel(bootMs),
      '2',
      String(app.requests.length),
      seconds(latenessMs),
      seconds(exitAt - since),
      String(step.exitCode),
      step.outputs.health ?? ''
    ]
    const allowed = allowance(bootMs)
    return {
      row,
      checks: [
        `- app boot ${durationLabel(bootMs)}: lateness ${verdict(latenessMs <= allowed, `${seconds(latenessMs)}, allowed ${seconds(allowed)}`)}`
      ]
    }
  })
}

async function benchHealthReal(): Promise<void> {
  emit(
    "### The built action against the simulator's app",
    '',
    "dist/index.js in restore mode (restore of 2 s) with `health_url` pointing at the simulator's app, which boots for the given time after the server is active again. From the app's own request log: lateness is the arrival of the probe that completed the streak − when the app truly became healthy − (k − 1) × 1 s.",
    ''
  )
  const realRows: string[][] = []
  const realChecks: string[] = []
  for (const bootMs of [5 * SECOND, 20 * SECOND]) {
    const { row, checks } = await realHealthRow(bootMs)
    if (row) realRows.push(row)
    realChecks.push(...checks)
  }
  emit(
    ...table(
      ['app boot', 'k', 'probes', 'late', 'exit after healthy', 'exit code', 'health output'],
      realRows,
      [true, true, true, true, true, true, false]
    ),
    '',
    'Targets:',
    '',
    ...realChecks,
    ''
  )
}

// ---------------------------------------------------------------- main

/**
 * `npm run bench -- --startup [--runs N] [--compare <dist/index.js>]`: part 3 alone (start-up),
 * printed and not written to bench/results.md, which holds only full runs; `--compare` starts
 * another build (e.g. main's) in the same interleaved runs, for before/after figures.
 * `npm run bench -- --fleet`: part 5 alone (several servers), which replaces its section of
 * bench/results.md, dated, and leaves the others as they were. `--watch`: part 6 alone, likewise.
 */
const args = process.argv.slice(2)
const startupOnly = args.includes('--startup')
const fleetOnly = args.includes('--fleet')
const watchOnly = args.includes('--watch')
const compareArg = args.indexOf('--compare')
if (compareArg >= 0) {
  compareBundle = args[compareArg + 1]
  if (!compareBundle || !existsSync(compareBundle)) {
    throw new Error('--compare needs the path of another build of dist/index.js')
  }
}
const runsArg = args.indexOf('--runs')
if (runsArg >= 0) {
  const runs = Number(args[runsArg + 1])
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer')
  startupRuns = runs
}

const began = performance.now()
const cpus = os.cpus()
const distBuilt = existsSync(join(ROOT, 'dist', 'index.js'))
  ? statSync(join(ROOT, 'dist', 'index.js')).mtime.toISOString()
  : 'missing'
emit(
  '# Benchmark results',
  '',
  `- Date: ${new Date().toISOString()}`,
  '- Command: `npm run bench` (`tsc -p . && node lib/scripts/bench.js`)',
  `- Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB memory, ${os.type()} ${os.release()} ${os.arch()}`,
  `- Node: ${process.version} (${process.execPath.startsWith(ROOT) ? 'the `node` devDependency' : process.execPath})`,
  `- dist/index.js last built: ${distBuilt}`,
  ''
)
if (fleetOnly || watchOnly) {
  const header = emitted().length
  const [n, flag, title] = fleetOnly
    ? [5, '--fleet', '## 5. Several servers in one step']
    : [6, '--watch', '## 6. health_watch']
  await (fleetOnly ? benchFleet(SEEDS) : benchWatch(LATENCY_MS))
  emit(`(Section ${n} run alone on ${new Date().toISOString()}: \`npm run bench -- ${flag}\`.)`, '')
  const file = join(ROOT, 'bench', 'results.md')
  const results = readFileSync(file, 'utf8')
  const end = results.indexOf('Benchmark time:')
  // A section not yet in the file goes last, before the benchmark's time.
  const found = results.indexOf(title)
  const start = found < 0 ? end : found
  const next = results.indexOf(`## ${n + 1}. `, start)
  const stop = next < 0 || next > end ? end : next
  if (end < 0 || start > end) throw new Error(`bench/results.md has no place for section ${n}`)
  writeFileSync(file, results.slice(0, start) + emitted().slice(header) + results.slice(stop))
  progress(`${flag}: section ${n} of bench/results.md replaced`)
} else if (startupOnly) {
  await benchStartup()
  emit(`Benchmark time: ${((performance.now() - began) / SECOND).toFixed(0)} s.`)
  progress('--startup: bench/results.md left as it was')
} else {
  await benchPolicy()
  await benchReal()
  await benchStartup()
  await benchHealthSimulated()
  await benchHealthReal()
  await benchFleet(SEEDS)
  await benchWatch(LATENCY_MS)
  emit(`Benchmark time: ${((performance.now() - began) / SECOND).toFixed(0)} s.`)
  writeFileSync(join(ROOT, 'bench', 'results.md'), emitted())
  progress('written to bench/results.md')
}
