/**
 * The fault matrix's recorder (RELIABILITY.md); `npm run fault-matrix` (fault-matrix-cli.ts) adds
 * up what it records.
 *
 * It gives the end-to-end tests of faults, cancellation and proxies a way to record, for every step
 * they run, what happened: faulted answers the simulator served, backups and restores the step
 * made, duplicates, and occurrences of the token in what the runner keeps (log, outputs, state,
 * summary). Records are appended to the JSON-lines file named by FAULT_MATRIX_STATS, and only when
 * that variable is set: a plain `npm test` writes nothing.
 */
import { appendFileSync } from 'node:fs'
import { isOwnRepository, parseTag } from '../src/github/description.js'
import type { BackupView, Simulator, SimulatorOptions } from '../simulator/server.js'
import type { RunContext } from '../src/github/context.js'
import { canonical } from '../src/common/untrusted.js'
import type { StepOptions, StepResult } from './local-runner.js'

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

/** The backups beyond the one a backup step may create for each of its servers. */
function beyondOnePerServer(created: ReadonlyArray<{ serverId: number }>): number {
  return created.length - new Set(created.map((b) => b.serverId)).size
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
      (entry.inputs.mode ?? 'backup') === 'backup' ? beyondOnePerServer(created) : created.length,
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
