/**
 * `npm run fault-matrix`: the fault matrix's numbers (RELIABILITY.md). Runs the end-to-end tests
 * that record their steps (fault-matrix.ts) with FAULT_MATRIX_STATS set, and prints the totals:
 *
 *   npm run fault-matrix               # print the numbers
 *   npm run fault-matrix -- --write    # and update RELIABILITY.md
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StepRecord } from './fault-matrix.js'
import { ROOT } from './root.js'

const MATRIX_FILES = [
  'test/e2e/faults.test.ts',
  'test/e2e/cancel.test.ts',
  'test/e2e/hostile.test.ts',
  'test/e2e/proxy.test.ts'
]

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
    ...underThrottle(records.filter((r) => !failed.has(r.test))),
    ...(failed.size ? ['', `Failing tests: ${[...failed].join('; ')}.`] : [])
  ].join('\n')
}

/**
 * What a rate limit costs: the API requests per backup of the steps DRF's throttle refused at
 * least once (fault kind `throttle`), of passing tests.
 */
function underThrottle(records: StepRecord[]): string[] {
  const throttled = totals(records.filter((r) => (r.faults.throttle ?? 0) > 0))
  if (!throttled.steps) return []
  const perBackup = throttled.requests / Math.max(1, throttled.backupsCreated)
  return [
    '',
    `Under DRF's throttle (${throttled.steps} steps): ${throttled.requests} API requests for ` +
      `${throttled.backupsCreated} backups, ${perBackup.toFixed(1)} per backup, ` +
      `${throttled.faultsByKind.throttle} of them refused (429).`
  ]
}

const START = '<!-- fault-matrix:start -->'
const END = '<!-- fault-matrix:end -->'

/** Runs the matrix's test files with FAULT_MATRIX_STATS set: their steps and vitest's report. */
function runMatrix(): {
  records: StepRecord[]
  report: VitestJson
  elapsedMs: number
  ok: boolean
} {
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
  return { records, report, elapsedMs, ok: run.status === 0 }
}

/** Replaces RELIABILITY.md's fault-matrix section with `text`. */
function writeSection(text: string): void {
  const file = join(ROOT, 'RELIABILITY.md')
  const doc = readFileSync(file, 'utf8')
  const from = doc.indexOf(START)
  const to = doc.indexOf(END)
  if (from < 0 || to < from) throw new Error(`RELIABILITY.md has no ${START} … ${END} section`)
  writeFileSync(file, `${doc.slice(0, from + START.length)}\n${text}\n${doc.slice(to)}`)
  console.log('RELIABILITY.md updated.')
}

const { records, report, elapsedMs, ok } = runMatrix()
const text = markdown(records, report, elapsedMs)
console.log(`\n${text}\n`)
if (process.argv.includes('--write')) writeSection(text)
process.exitCode = ok ? 0 : 1
