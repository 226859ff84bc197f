/**
 * The fault matrix's numbers (RELIABILITY.md).
 *
 * As a module, it gives the end-to-end tests of faults, cancellation and proxies a way to record,
 * for every step they run, what happened: faulted answers the simulator served, backups and
 * restores the step made, duplicates, and occurrences of the token in what the runner keeps (log,
 * outputs, state, summary). Records are appended to the JSON-lines file named by
 * FAULT_MATRIX_STATS, and only when that variable is set: a plain `npm test` writes nothing.
 *
 * As a script, it runs those tests with FAULT_MATRIX_STATS set and prints the totals:
 *
 *   npx tsc -p . && npx node lib/scripts/fault-matrix.js            # print the numbers
 *   npx tsc -p . && npx node lib/scripts/fault-matrix.js --write    # and update RELIABILITY.md
 */
import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isOwnRepository, parseTag } from '../src/description.js'
import type { BackupView, Simulator, SimulatorOptions } from '../simulator/server.js'
import type { RunContext } from '../src/context.js'
import { canonical } from '../src/untrusted.js'
import { ROOT, type StepOptions, type StepResult } from './local-runner.js'

const MATRIX_FILES = [
  'test/e2e/faults.test.ts',
  'test/e2e/cancel.test.ts',
  'test/e2e/hostile.test.ts',
  'test/e2e/proxy.test.ts'
]

export interface StepRecord {
  file: string
  test: string
  exitCode: number | null
  /** Requests the simulator answered with an injected fault, by kind. */
  faults: Record<string, number>
  requests: number
  /** Backups that did not exist before the step. */
  backupsCreated: number
  /** Backups beyond the one a backup step may create. */
  duplicateBackups: number
  restores: number
  /** Restores beyond the one a restore step may request. */
  duplicateRestores: number
  /** Occurrences of the token in the log, outputs, state and summary. */
  tokenOccurrences: number
  /**
   * Backups the step deleted that it must not have: in delete mode any but the one asked for; in
   * backup mode any that was not this repository's, final when deleted, and older than the step's
   * own backup.
   */
  wrongDeletions: number
}

/** Counts the faulted answers of one simulator, from its request log lines. */
export class FaultCounter {
  readonly byKind: Record<string, number> = {}
  readonly log = (line: string): void => {
    const kind = /\(fault: ([\w-]+)\)$/.exec(line)?.[1]
    if (kind) this.byKind[kind] = (this.byKind[kind] ?? 0) + 1
  }
  snapshot(): Record<string, number> {
    return { ...this.byKind }
  }
}

/** What the simulator held before a step, to tell what the step did. */
export interface Before {
  backupIds: Set<number>
  deletedIds: Set<number>
  restores: number
  requests: number
  faults: Record<string, number>
}

export function before(sim: Simulator, counter: FaultCounter): Before {
  return {
    backupIds: new Set(sim.backups({ includeDeleted: true }).map((b) => b.id)),
    deletedIds: new Set(
      sim
        .backups({ includeDeleted: true })
        .filter((b) => b.deleted)
        .map((b) => b.id)
    ),
    restores: sim.restores.length,
    requests: sim.requests.length,
    faults: counter.snapshot()
  }
}

/** The deletions of one step that break the rule (see StepRecord.wrongDeletions). */
function wrongDeletions(
  sim: Simulator,
  before: Before,
  result: StepResult,
  inputs: Inputs,
  repository: string
): number {
  const all = sim.backups({ includeDeleted: true })
  const deleted = all.filter((b) => b.deleted && !before.deletedIds.has(b.id))
  const mode = inputs.mode ?? 'backup'
  if (mode !== 'backup') return deleted.filter((b) => String(b.id) !== inputs.backup_id).length
  const own = all.find((b) => String(b.id) === result.outputs.backup_id)
  const allowed = (b: BackupView): boolean =>
    own !== undefined &&
    isOwnRepository(parseTag(b.description), { repository } as RunContext) &&
    b.deletedAt! >= b.createdAt + b.durationMs &&
    (b.createdAt < own.createdAt || (b.createdAt === own.createdAt && b.id < own.id))
  return deleted.filter((b) => !allowed(b)).length
}

function occurrences(text: string, token: string): number {
  // Decoded first: an escaped (`vps&#95;…`) or percent-encoded token counts too.
  return token ? canonical(text).toLowerCase().split(token.toLowerCase()).length - 1 : 0
}

/** Records a step, when FAULT_MATRIX_STATS names a file. */
function recordStep(entry: {
  file: string
  test: string
  sim: Simulator
  counter: FaultCounter
  before: Before
  result: StepResult
  token: string
  inputs: Inputs
  repository: string
  runId: string
}): void {
  const target = process.env.FAULT_MATRIX_STATS
  if (!target) return
  const { sim, result, token } = entry
  // A backup another run made meanwhile (a test's concurrent run) is not the step's.
  const created = sim
    .backups({ includeDeleted: true })
    .filter((b) => !entry.before.backupIds.has(b.id))
    .filter((b) => (parseTag(b.description)?.runId ?? entry.runId) === entry.runId)
  const restores = sim.restores.length - entry.before.restores
  const faults: Record<string, number> = {}
  for (const [kind, count] of Object.entries(entry.counter.byKind)) {
    const delta = count - (entry.before.faults[kind] ?? 0)
    if (delta > 0) faults[kind] = delta
  }
  const record: StepRecord = {
    file: entry.file,
    test: entry.test,
    exitCode: result.exitCode,
    faults,
    requests: sim.requests.length - entry.before.requests,
    backupsCreated: created.length,
    duplicateBackups:
      (entry.inputs.mode ?? 'backup') === 'backup'
        ? Math.max(0, created.length - 1)
        : created.length,
    restores,
    duplicateRestores: Math.max(0, restores - 1),
    tokenOccurrences: [
      result.log,
      result.summary,
      JSON.stringify(result.outputs),
      JSON.stringify(result.state)
    ].reduce((sum, text) => sum + occurrences(text, token), 0),
    wrongDeletions: wrongDeletions(sim, entry.before, result, entry.inputs, entry.repository)
  }
  appendFileSync(target, `${JSON.stringify(record)}\n`)
}

type Inputs = Record<string, string>
type RunOptions = Omit<StepOptions, 'with'>

/**
 * Wraps the end-to-end fixture's simulator() and step() so that every step a test runs is
 * recorded (see recordStep). The fixture is passed in, not imported, so that this module also
 * runs outside vitest.
 */
export function recorder(
  file: string,
  fixture: {
    simulator: (options?: SimulatorOptions) => Promise<Simulator>
    step: (sim: Simulator, inputs?: Inputs, options?: RunOptions) => Promise<StepResult>
    currentTest: () => string
  }
): {
  sim: (options?: SimulatorOptions) => Promise<Simulator>
  run: (sim: Simulator, inputs?: Inputs, options?: RunOptions) => Promise<StepResult>
} {
  const counters = new WeakMap<Simulator, FaultCounter>()
  return {
    async sim(options = {}) {
      const counter = new FaultCounter()
      const sim = await fixture.simulator({
        ...options,
        log: (line) => {
          counter.log(line)
          options.log?.(line)
        }
      })
      counters.set(sim, counter)
      return sim
    },
    async run(sim, inputs = {}, options = {}) {
      const counter = counters.get(sim) ?? new FaultCounter()
      const snapshot = before(sim, counter)
      const result = await fixture.step(sim, inputs, options)
      recordStep({
        file,
        test: fixture.currentTest(),
        sim,
        counter,
        before: snapshot,
        result,
        token: inputs.api_token ?? sim.token,
        inputs,
        repository: options.env?.GITHUB_REPOSITORY ?? 'acme/shop',
        runId: options.env?.GITHUB_RUN_ID ?? '9876543210'
      })
      return result
    }
  }
}

/** The figures a step record adds up: every number in it. */
const COUNTED = [
  'requests',
  'backupsCreated',
  'duplicateBackups',
  'restores',
  'duplicateRestores',
  'tokenOccurrences',
  'wrongDeletions'
] as const

type Totals = Record<(typeof COUNTED)[number], number> & {
  steps: number
  faults: number
  faultsByKind: Record<string, number>
}

function totals(records: StepRecord[]): Totals {
  const sum: Totals = { steps: 0, faults: 0, faultsByKind: {}, ...zeros() }
  for (const r of records) {
    sum.steps += 1
    for (const [kind, count] of Object.entries(r.faults)) {
      sum.faults += count
      sum.faultsByKind[kind] = (sum.faultsByKind[kind] ?? 0) + count
    }
    for (const name of COUNTED) sum[name] += r[name]
  }
  return sum
}

function zeros(): Record<(typeof COUNTED)[number], number> {
  return Object.fromEntries(COUNTED.map((name) => [name, 0])) as Record<
    (typeof COUNTED)[number],
    number
  >
}

interface VitestJson {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  startTime: number
  testResults: Array<{
    name: string
    endTime: number
    startTime: number
    assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string }>
  }>
}

/** `describe > test`, as expect.getState().currentTestName names it. */
function testName(test: { ancestorTitles: string[]; title: string }): string {
  return [...test.ancestorTitles, test.title].join(' > ')
}

function markdown(records: StepRecord[], report: VitestJson, elapsedMs: number): string {
  const failed = new Set(
    report.testResults.flatMap((file) =>
      file.assertionResults.filter((t) => t.status === 'failed').map(testName)
    )
  )
  const all = totals(records)
  const passing = totals(records.filter((r) => !failed.has(r.test)))
  const failing = totals(records.filter((r) => failed.has(r.test)))
  const kinds = Object.entries(all.faultsByKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ')
  const row = (label: string, pick: (t: Totals) => number): string =>
    `| ${label} | ${pick(all)} | ${pick(passing)} | ${pick(failing)} |`
  return [
    `Last run: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${MATRIX_FILES.length} files, ` +
      `${report.numTotalTests} tests (${report.numPassedTests} passed, ${report.numFailedTests} failed), ` +
      `${all.steps} steps of dist/index.js, ${(elapsedMs / 1000).toFixed(1)} s.`,
    '',
    '| Figure | All steps | Steps of passing tests | Steps of failing tests |',
    '| --- | ---: | ---: | ---: |',
    row('Steps run', (t) => t.steps),
    row('Faults injected (faulted answers served)', (t) => t.faults),
    row('API requests', (t) => t.requests),
    row('Backups created', (t) => t.backupsCreated),
    row('Duplicate backups', (t) => t.duplicateBackups),
    row('Restores requested', (t) => t.restores),
    row('Duplicate restores', (t) => t.duplicateRestores),
    row('Token occurrences in log, outputs, state, summary', (t) => t.tokenOccurrences),
    row(
      'Restore points deleted that were not the step’s own, final and older',
      (t) => t.wrongDeletions
    ),
    '',
    `Faults by kind: ${kinds || 'none'}.`,
    ...(failed.size ? ['', `Failing tests: ${[...failed].join('; ')}.`] : [])
  ].join('\n')
}

const START = '<!-- fault-matrix:start -->'
const END = '<!-- fault-matrix:end -->'

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'fault-matrix-'))
  const stats = join(dir, 'steps.jsonl')
  const json = join(dir, 'vitest.json')
  writeFileSync(stats, '')
  const started = performance.now()
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vitest/vitest.mjs'),
      'run',
      ...MATRIX_FILES,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${json}`
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        FAULT_MATRIX_STATS: stats,
        PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`
      }
    }
  )
  const elapsedMs = performance.now() - started
  const records = readFileSync(stats, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StepRecord)
  const report = JSON.parse(readFileSync(json, 'utf8')) as VitestJson
  rmSync(dir, { recursive: true, force: true })
  const text = markdown(records, report, elapsedMs)
  console.log(`\n${text}\n`)
  if (process.argv.includes('--write')) {
    const file = join(ROOT, 'RELIABILITY.md')
    const doc = readFileSync(file, 'utf8')
    const from = doc.indexOf(START)
    const to = doc.indexOf(END)
    if (from < 0 || to < from) throw new Error(`RELIABILITY.md has no ${START} … ${END} section`)
    writeFileSync(file, `${doc.slice(0, from + START.length)}\n${text}\n${doc.slice(to)}`)
    console.log('RELIABILITY.md updated.')
  }
  process.exitCode = run.status ?? 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main()
