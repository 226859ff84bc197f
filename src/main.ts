import * as core from '@actions/core'
import type { Dispatcher } from 'undici'
import { type Clock, systemClock } from './common/clock.js'
import { type Logger, neutralising } from './common/log.js'
import { scrubberOf } from './common/untrusted.js'
import { type RunContext, readContext } from './github/context.js'
import { gitHubDeployments } from './github/deployments.js'
import { parseInputs, secretInputs } from './inputs/parse.js'
import type { InputReader, Settings } from './inputs/settings.js'
import { runMode } from './modes/dispatch.js'
import type { Ledger } from './modes/ledger.js'
import { armAfterSuccess, stepOf, stepSettings } from './modes/post.js'
import { type StepEnd, stepEnding } from './report/ending.js'
import type { Outcome } from './runtime/outcome.js'
import { createRuntime } from './runtime/runtime.js'
import { NOT_ARMED, type StateStore } from './runtime/state.js'
import { dispatcherFor } from './vpsorg/dispatcher.js'

/** The edges a step runs on: the runner's (@actions/core and the process: run()) or a test's. */
export interface Edges {
  /** Reads an input as written (parseInputs trims what it needs to). */
  read: InputReader
  /** The runner's state, between the main step and the post step. */
  store: StateStore
  /** Masks a secret in the runner's log. */
  setSecret(secret: string): void
  /** The step's log, before its messages are scrubbed and neutralised. */
  log: Logger
  /** The outputs, the job summary and the failure line. */
  end: StepEnd
  /** The runner's environment (the action's ref and the step's id, for the summary). */
  env: Readonly<Record<string, string | undefined>>
  context(): RunContext
  /** How requests leave the runner (the proxy agent). */
  dispatcher(): Dispatcher
  clock: Clock
  random(): number
  /** Where SIGINT and SIGTERM arrive when the workflow is cancelled. */
  signals: {
    on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
    off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
  }
}

/** The action's entry point, for the main step and the post step alike. */
export async function run(): Promise<void> {
  await runStep({
    read: (name) => core.getInput(name, { trimWhitespace: false }),
    store: { get: core.getState, save: core.saveState },
    setSecret: core.setSecret,
    log: { debug: core.debug, info: core.info, warning: core.warning, group: core.group },
    end: {
      setOutput: core.setOutput,
      writeSummary: async (markdown) => void (await core.summary.addRaw(markdown).write()),
      setFailed: core.setFailed
    },
    env: process.env,
    context: () => readContext(),
    dispatcher: () => dispatcherFor(process.env),
    clock: systemClock,
    random: Math.random,
    signals: process
  })
}

/**
 * One step: the inputs read once (every secret input masked and removed, in every encoding, from
 * all the step writes: the log, the failure line, the job summary and the outputs), the runtime
 * built, the mode run (modes/dispatch.ts, with the post step's rules: modes/post.ts), and the
 * ending written (report/ending.ts), whatever ended the step.
 */
export async function runStep(edges: Edges): Promise<void> {
  const { read, store, clock, signals } = edges
  const step = stepOf(store)
  const secrets = secretInputs(read)
  for (const secret of secrets) edges.setSecret(secret)
  const scrub = scrubberOf(secrets)
  // Every message scrubbed and neutralised: server text is in them.
  const log = neutralising(edges.log, scrub)
  if (step === 'idle') return log.info(NOT_ARMED)
  const ending = stepEnding({ end: edges.end, log, scrub, env: edges.env })
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info(`Received ${signal}: the workflow was cancelled; stopping.`)
    controller.abort()
  }
  signals.on('SIGINT', onSignal)
  signals.on('SIGTERM', onSignal)
  const startedAt = clock.now()
  const outcome: Outcome = { deleted: [] }
  // The step's settings, once the inputs were read.
  let parsed: Settings | undefined
  let dispatcher: Dispatcher | undefined
  let failure: unknown
  let armed = false
  let ledger: Ledger | undefined
  try {
    const context = edges.context()
    parsed = parseInputs(read, context)
    // A post step that refuses its rollback still reports it with the settings it read.
    const settings = stepSettings(step, store, parsed, log.warning)
    parsed = settings
    dispatcher = edges.dispatcher()
    const rt = createRuntime({
      settings,
      context,
      clock,
      random: edges.random,
      signal: controller.signal,
      log,
      dispatcher,
      startedAt,
      outcome
    })
    // The deploy ledger (environment), loaded only when set; a backup's quarantine is in it.
    ledger = settings.environment
      ? await (await import('./modes/ledger.js')).openLedger(rt, gitHubDeployments)
      : undefined
    await runMode(rt, () => ending.writeOutputs(settings, outcome))
    // The last act of a step that succeeded: nothing after it can fail the step.
    armed = armAfterSuccess(step, store, settings, outcome)
  } catch (error) {
    failure = error
  } finally {
    await ledger?.close(failure)
    signals.off('SIGINT', onSignal)
    signals.off('SIGTERM', onSignal)
    await dispatcher?.destroy()
  }
  const elapsedMs = clock.now() - startedAt
  await ending.end({
    settings: parsed,
    outcome,
    elapsedMs,
    automatic: step === 'rollback',
    armed,
    failure
  })
}
