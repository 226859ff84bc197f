/**
 * `npm run bench`, section 5: several servers in one step. The action follows every backup with
 * one poll loop whose look is one list of the account's manual backups, or each server's own in a
 * large account (src/modes/follow-backup.ts `awaitFinals`); the naive way is one poll loop per server
 * (`awaitFinal` per server, each listing `?server_id=ID`). Both on a simulated clock, the simulator's model in-process, and the built
 * action against the simulator over HTTP.
 */
import { MockAgent } from 'undici'
import { runBackup } from '../src/modes/backup.js'
import { serverRuntimes } from '../src/runtime/fleet.js'
import { awaitFinal } from '../src/modes/follow-backup.js'
import { parseInputs } from '../src/inputs/parse.js'
import { createRuntime } from '../src/runtime/runtime.js'
import { Simulator, seededRandom } from '../simulator/server.js'
import type { ServerSeed } from '../simulator/types.js'
import { BACKUPS } from '../test/helpers/api.js'
import { EPOCH } from '../test/helpers/fake-clock.js'
import { context } from '../test/helpers/run-context.js'
import { InProcessApi } from '../test/helpers/vpsorg.js'
import * as report from './bench-report.js'
import { EventClock } from './event-clock.js'
import { runStep } from './local-runner.js'
import { SILENT } from './simulated-wait.js'

const TOKEN = 'vps_bench_fleet_token'
const FIRST_ID = 101
const T = 20 * report.SECOND
/** The issue's bounds: status requests of 10 servers against one, wall time against the slowest. */
const REQUESTS_RATIO = 2
const WALL_RATIO = 1.1

interface FleetCase {
  label: string
  durationsMs: number[]
  /** Backups per page of a list; default the whole list in one page. */
  pageSize?: number
  /** Backups of other servers in the account (the simulator's accountBackups). */
  accountBackups?: number
  /** Their type (the simulator's accountBackupType); default manual. */
  accountBackupType?: 'manual' | 'automatic'
}

const same = (servers: number, ms: number): number[] => Array<number>(servers).fill(ms)
/** `servers` durations evenly spread from `fromMs` to `toMs`, whole seconds. */
const spread = (servers: number, fromMs: number, toMs: number): number[] =>
  Array.from(
    { length: servers },
    (_, i) =>
      Math.round((fromMs + ((toMs - fromMs) * i) / (servers - 1)) / report.SECOND) * report.SECOND
  )

const ONE: FleetCase = { label: '1 server', durationsMs: same(1, T) }
const TEN: FleetCase = { label: '10 servers', durationsMs: same(10, T) }
const SPREAD: FleetCase = {
  label: '10 servers',
  durationsMs: spread(10, 10 * report.SECOND, 30 * report.SECOND)
}
/** A large account: 1,000 backups of other servers, 10 a page (the account's list: 101 pages). */
const LARGE = { pageSize: 10, accountBackups: 1000 }
const LARGE_ONE: FleetCase = { label: '1 server, 1,000 others', durationsMs: same(1, T), ...LARGE }
const LARGE_TEN: FleetCase = {
  label: '10 servers, 1,000 others',
  durationsMs: same(10, T),
  ...LARGE
}
const LARGE_WHERE = ' in an account of 1,000 other backups (10 a page)'
/**
 * The same account where the other backups are the servers' daily automatic ones (as in most
 * accounts: manual backups are capped at 10 a server), which the fleet's list of manual backups
 * leaves out.
 */
const DAILY = { ...LARGE, accountBackupType: 'automatic' as const }
const DAILY_ONE: FleetCase = {
  label: '1 server, 1,000 automatic others',
  durationsMs: same(1, T),
  ...DAILY
}
const DAILY_TEN: FleetCase = {
  label: '10 servers, 1,000 automatic others',
  durationsMs: same(10, T),
  ...DAILY
}
const DAILY_WHERE = ' in an account of 1,000 other automatic (daily) backups (10 a page)'
const CASES: FleetCase[] = [
  ONE,
  { label: '3 servers', durationsMs: same(3, T) },
  TEN,
  { label: '50 servers', durationsMs: same(50, T) },
  { label: '50 servers, 20 a page', durationsMs: same(50, T), pageSize: 20 },
  SPREAD,
  { label: '10 servers', durationsMs: spread(10, 20 * report.SECOND, 5 * 60 * report.SECOND) },
  LARGE_ONE,
  LARGE_TEN,
  DAILY_ONE,
  DAILY_TEN
]

/** 20 s, or 10–30 s for spread durations. */
function takes(durationsMs: number[]): string {
  const low = Math.min(...durationsMs)
  const high = Math.max(...durationsMs)
  return low === high
    ? report.durationLabel(low)
    : `${report.durationLabel(low)}–${report.durationLabel(high)}`
}

/** The fleet's servers, 101, 102, …, each with its backup duration. */
const serversOf = (durationsMs: number[]): ServerSeed[] =>
  durationsMs.map((backupDurationMs, i) => ({
    id: FIRST_ID + i,
    name: `node-${i + 1}`,
    backupDurationMs
  }))

/** The account a case's fleet is in: its page size and other backups. */
const worldOf = ({ pageSize, accountBackups, accountBackupType }: FleetCase) => ({
  pageSize,
  accountBackups,
  accountBackupType
})

/** The fleet's backups, without the account's other servers'. */
const ofFleet = <B extends { serverId: number }>(backups: B[], servers: ServerSeed[]): B[] =>
  backups.filter((b) => servers.some((s) => s.id === b.serverId))

/** A status request as both simulators record it: its arrival and its `server_id`, if any. */
interface Poll {
  at: number
  serverId: string | undefined
}

interface Measured {
  /** Status requests: the lists after the last create. */
  requests: number
  /** Per backup: when a status request first saw it completed, minus when it completed. */
  lateMs: number[]
  /** Per backup: lateness minus its allowance, max(2 s, T/10). */
  overMs: number[]
}

/** The figures, from the backups and the list requests made after the last create. */
function measure(
  backups: ReadonlyArray<{ id: number; serverId: number; createdAt: number; durationMs: number }>,
  polls: Poll[]
): Measured {
  const lateMs = backups.map((b) => {
    const completedAt = b.createdAt + b.durationMs
    const seen = polls.find(
      (p) => p.at >= completedAt && (p.serverId ?? String(b.serverId)) === String(b.serverId)
    )
    if (!seen) throw new Error(`Backup ${b.id} was never seen completed`)
    return seen.at - completedAt
  })
  return {
    requests: polls.length,
    lateMs,
    overMs: lateMs.map((late, i) => late - report.allowance(backups[i]!.durationMs))
  }
}

type Way = 'action' | 'naive'

interface SimulatedFleet extends Measured {
  /** From the step's start to the end of the last wait. */
  wallMs: number
}

/**
 * One backup step of the fleet on a discrete-event clock, against the simulator's model
 * in-process, built as run() builds it. The action's way: runBackup. The naive way: runBackup
 * with `wait: false` (the same creates), then one awaitFinal per server, concurrently.
 */
async function simulateFleet(c: FleetCase, way: Way, seed: number): Promise<SimulatedFleet> {
  const clock = new EventClock(EPOCH)
  const servers = serversOf(c.durationsMs)
  const api = new InProcessApi(clock, TOKEN, {}, { ...worldOf(c), servers })
  api.hook = () => {
    clock.touch()
    return undefined
  }
  const agent = new MockAgent()
  agent.disableNetConnect()
  api.install(agent)
  try {
    const inputs: Record<string, string> = {
      api_token: TOKEN,
      server_id: servers.map((s) => s.id).join(','),
      timeout: '2h',
      wait: String(way === 'action')
    }
    const ctx = { ...context, runAttempt: 1 }
    const step = createRuntime({
      settings: parseInputs((name) => inputs[name] ?? '', ctx),
      context: ctx,
      clock,
      random: seededRandom(seed),
      signal: new AbortController().signal,
      log: SILENT,
      dispatcher: agent
    })
    const runtimes = serverRuntimes(step)
    await runBackup(step, runtimes)
    if (way === 'naive') {
      await Promise.all(runtimes.map((rt) => awaitFinal(rt, rt.outcome.backup!, false)))
    }
    const wallMs = clock.now() - step.startedAt
    const lastPost = api.requests.findLastIndex((r) => r.method === 'POST')
    const polls = api.requests
      .slice(lastPost + 1)
      .filter((r) => r.method === 'GET' && r.url.pathname === BACKUPS)
      .map((r) => ({ at: r.at, serverId: r.url.searchParams.get('server_id') ?? undefined }))
    return { ...measure(ofFleet(api.model.backups(), servers), polls), wallMs }
  } finally {
    await agent.close()
  }
}

/** A way's runs of a case, over the seeds. */
interface Runs {
  requests: number[]
  lateMs: number[]
  overMs: number[]
  wallMs: number[]
}

async function runsOf(c: FleetCase, way: Way, seeds: number): Promise<Runs> {
  const runs: Runs = { requests: [], lateMs: [], overMs: [], wallMs: [] }
  for (let seed = 1; seed <= seeds; seed++) {
    const run = await simulateFleet(c, way, seed)
    runs.requests.push(run.requests)
    runs.lateMs.push(...run.lateMs)
    runs.overMs.push(...run.overMs)
    runs.wallMs.push(run.wallMs)
  }
  return runs
}

const spreadOf = (values: number[], format: (n: number) => string): string =>
  `${format(report.median(values))} / ${format(Math.max(...values))}`

async function benchFleetSimulated(seeds: number): Promise<void> {
  report.progress('5. a fleet on a simulated clock')
  report.emit(
    '## 5. Several servers in one step',
    '',
    `A backup step of N servers (\`server_id: 101, 102, …\`), built as run() builds it, against the simulator's model in-process (undici's MockAgent), on a discrete-event clock (scripts/event-clock.ts: each sleep registers its wake-up time, and time moves to the earliest once every loop is waiting, so loops waiting side by side do not add their sleeps up; requests take no simulated time). **Action**: \`runBackup\`, which follows every backup with one poll loop whose look is one list of the account's manual backups (\`GET /backups/?backup_type=manual\`, all pages) while it takes no more pages than there are servers (its first page's \`count\` says), else each server's own list. The last two cases are an account of 1,000 other servers' backups, 10 a page (the account's list: 101 pages). **Naive**: the same creates, then one poll loop per server (\`awaitFinal\`, each listing \`?server_id=ID\`), concurrently. Both use \`adaptivePolicy\` with seeded jitter, ${seeds} seeds. Status requests: the list requests after the last create (pages counted), median / worst seed. Lateness, per backup: the first list request that saw it completed, minus its completion; median / worst of every backup of every seed. Wall time: from the step's start to the end of the wait, worst seed.`,
    ''
  )
  const rows: string[][] = []
  const results = new Map<FleetCase, Record<Way, Runs>>()
  for (const c of CASES) {
    const action = await runsOf(c, 'action', seeds)
    const naive = await runsOf(c, 'naive', seeds)
    results.set(c, { action, naive })
    const count = (n: number): string => String(n)
    rows.push([
      c.label,
      takes(c.durationsMs),
      spreadOf(action.requests, count),
      spreadOf(naive.requests, count),
      spreadOf(action.lateMs, report.seconds),
      spreadOf(naive.lateMs, report.seconds),
      `${report.seconds(Math.max(...action.wallMs))} / ${report.seconds(Math.max(...naive.wallMs))}`
    ])
  }
  report.emit(
    ...report.table(
      [
        'servers',
        'backups take',
        'action: requests (median / worst)',
        'naive: requests',
        'action: late (median / worst)',
        'naive: late',
        'wall, worst (action / naive)'
      ],
      rows,
      [false, true, true, true, true, true, true]
    ),
    '',
    'Targets (the action; worst seed):',
    '',
    ...simulatedChecks(results, seeds),
    ''
  )
}

/** The issue's targets, one line each: the worst lateness of 10 servers' 20 s backups… */
const lateLine = (worstMs: number): string =>
  `- 10 servers, 20 s backups: every backup noticed within ${report.seconds(report.allowance(T))}: ${report.verdict(worstMs <= report.allowance(T), `worst ${report.seconds(worstMs)}`)}`

/** …their status requests against one server's… */
const requestsLine = (ten: number, one: number, detail = '', where = ''): string =>
  `- 10 servers${where}, 20 s backups: at most ${REQUESTS_RATIO}× the status requests of one server${detail}: ${report.verdict(ten <= REQUESTS_RATIO * one, `${(ten / one).toFixed(2)}×: ${ten} against ${one}`)}`

/** …the wall time of 10 servers' backups of 10–30 s against the slowest… */
function wallLine(wallMs: number): string {
  const slowest = Math.max(...SPREAD.durationsMs)
  return `- 10 servers, 10–30 s backups: wall time at most ${WALL_RATIO}× the slowest backup: ${report.verdict(wallMs <= WALL_RATIO * slowest, `${report.seconds(wallMs)}, ${(wallMs / slowest).toFixed(3)}× ${report.seconds(slowest)}`)}`
}

/** …and every backup's lateness against its own allowance (`overMs`: lateness minus allowance). */
const allowanceLine = (what: string, overMs: number[]): string => {
  const over = Math.max(...overMs)
  return `- ${what}: each backup noticed within max(2 s, T/10) of its own T: ${report.verdict(over <= 0, `${report.seconds(Math.abs(over))} ${over > 0 ? 'over' : 'to spare'} at worst`)}`
}

function simulatedChecks(results: Map<FleetCase, Record<Way, Runs>>, seeds: number): string[] {
  /** Ten servers' status requests against one's, on the worst seed. */
  const ratio = (oneCase: FleetCase, tenCase: FleetCase, where = ''): string => {
    const one = results.get(oneCase)!.action
    const ten = results.get(tenCase)!.action
    const ratios = ten.requests.map((n, i) => n / one.requests[i]!)
    const seed = ratios.indexOf(Math.max(...ratios))
    const detail = ` (same seed; worst: seed ${seed + 1})`
    return requestsLine(ten.requests[seed]!, one.requests[seed]!, detail, where)
  }
  const large = results.get(LARGE_TEN)!.action
  const largeOne = results.get(LARGE_ONE)!.action
  return [
    lateLine(Math.max(...results.get(TEN)!.action.lateMs)),
    ratio(ONE, TEN),
    ratio(LARGE_ONE, LARGE_TEN, LARGE_WHERE),
    ratio(DAILY_ONE, DAILY_TEN, DAILY_WHERE),
    `- 10 servers in an account of 1,000 other backups, 20 s backups: the lateness of one server: ${report.verdict(Math.max(...large.lateMs) <= Math.max(...largeOne.lateMs, report.allowance(T)), `worst ${report.seconds(Math.max(...large.lateMs))} against ${report.seconds(Math.max(...largeOne.lateMs))}`)}`,
    wallLine(Math.max(...results.get(SPREAD)!.action.wallMs)),
    allowanceLine(
      `Every case, ${seeds} seeds`,
      [...results.values()].flatMap((r) => r.action.overMs)
    )
  ]
}

/** What one run of dist/ against the fleet gave: its row, and its figures or its log. */
type RealRun = { row: string[] } & ({ run: SimulatedFleet } | { log: string })

/** One backup step of dist/ against the simulator holding the fleet. */
async function realFleetRun(c: FleetCase): Promise<RealRun> {
  report.progress(`5. dist/ against the simulator: ${c.label}, backups of ${takes(c.durationsMs)}`)
  const servers = serversOf(c.durationsMs)
  const sim = await Simulator.start({ ...worldOf(c), servers })
  try {
    const step = await runStep({
      with: {
        api_url: sim.url,
        api_token: sim.token,
        server_id: servers.map((s) => s.id).join(', '),
        mode: 'backup'
      }
    })
    const lastPost = sim.requests.findLastIndex((r) => r.method === 'POST')
    const polls = sim.requests
      .slice(lastPost + 1)
      .filter((r) => r.method === 'GET' && r.path === BACKUPS)
      .map((r) => ({ at: r.at, serverId: r.query.server_id }))
    const backups = ofFleet(sim.backups(), servers)
    if (step.exitCode !== 0 || backups.length !== servers.length) {
      const row = [c.label, takes(c.durationsMs), '?', '?', '?', String(step.exitCode)]
      return { row, log: step.log }
    }
    const run = { ...measure(backups, polls), wallMs: step.durationMs }
    const row = [
      c.label,
      takes(c.durationsMs),
      String(run.requests),
      spreadOf(run.lateMs, report.seconds),
      report.seconds(run.wallMs),
      String(step.exitCode)
    ]
    return { row, run }
  } finally {
    await sim.close()
  }
}

/** The real runs' targets, or the log of a run that failed. */
function realChecks(runs: Map<FleetCase, RealRun>): string[] {
  const failed = [...runs].flatMap(([c, r]) =>
    'log' in r ? [`- ${c.label}, ${takes(c.durationsMs)}: the run failed:\n\n${r.log}`] : []
  )
  if (failed.length) return failed
  const [one, ten, spreadRun, largeOne, largeTen] = [ONE, TEN, SPREAD, LARGE_ONE, LARGE_TEN].map(
    (c) => (runs.get(c) as { run: SimulatedFleet }).run
  ) as [SimulatedFleet, SimulatedFleet, SimulatedFleet, SimulatedFleet, SimulatedFleet]
  return [
    lateLine(Math.max(...ten.lateMs)),
    requestsLine(ten.requests, one.requests),
    requestsLine(largeTen.requests, largeOne.requests, '', LARGE_WHERE),
    wallLine(spreadRun.wallMs),
    allowanceLine('10 servers, 10–30 s backups', spreadRun.overMs)
  ]
}

async function benchFleetReal(): Promise<void> {
  report.emit(
    '### The built action against the simulator',
    '',
    "dist/index.js run by scripts/local-runner.ts in backup mode with `server_id` listing the fleet, against the simulator holding it, over loopback. From the simulator's own log: status requests are the `GET /api/v1/backups/` after the last `POST`; lateness, per backup, is the arrival of the first of them that saw it completed minus its true completion (median / worst of the fleet's backups); wall time is the step process's, from spawn to exit.",
    ''
  )
  const runs = new Map<FleetCase, RealRun>()
  for (const c of [ONE, TEN, SPREAD, LARGE_ONE, LARGE_TEN]) runs.set(c, await realFleetRun(c))
  report.emit(
    ...report.table(
      ['servers', 'backups take', 'status requests', 'late', 'wall', 'exit code'],
      [...runs.values()].map((r) => r.row),
      [false, true, true, true, true, true]
    ),
    '',
    'Targets:',
    '',
    ...realChecks(runs),
    ''
  )
}

/** Section 5 of the benchmark: a fleet on the simulated clock, then the built action. */
export async function benchFleet(seeds: number): Promise<void> {
  await benchFleetSimulated(seeds)
  await benchFleetReal()
}
