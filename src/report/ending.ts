import { ActionError, CancelledError } from '../common/errors.js'
import type { Logger } from '../common/log.js'
import { type Scrub, neutralise } from '../common/untrusted.js'
import { WaitTimeoutError } from '../common/wait.js'
import type { Settings } from '../inputs/settings.js'
import { pendingOf } from '../runtime/fleet.js'
import { type Outcome, markOutputsWritten } from '../runtime/outcome.js'
import { sentence } from '../vpsorg/api-errors.js'
import { stepOutputs } from './outputs.js'
import type { Report } from './report.js'

/** Where a step's ending goes: the runner's (@actions/core, main.ts) or a test's. */
export interface StepEnd {
  setOutput(name: string, value: string): void
  /** Adds the Markdown to the job summary. */
  writeSummary(markdown: string): Promise<void>
  /** Fails the step with one line. */
  setFailed(message: string): void
}

/** How a step ended. */
export interface Ending {
  /** Undefined when the inputs could not be read. */
  settings?: Settings
  outcome: Outcome
  elapsedMs: number
  /** The post step's automatic rollback. */
  automatic: boolean
  /** The step armed the post step's automatic rollback. */
  armed: boolean
  /** What failed the step; undefined when it succeeded. */
  failure: unknown
}

/** What the ending writes with: every text scrubbed of every secret input (untrusted.ts scrubberOf). */
export interface EndingParts {
  end: StepEnd
  /** The step's log (main.ts: scrubbed and neutralised). */
  log: Logger
  scrub: Scrub
  /** The runner's environment: the action's repository and ref, and the step's id. */
  env: Readonly<Record<string, string | undefined>>
}

export interface StepEnding {
  /** The step's outputs (checked: server text that is not what an output promises is left out), written once. */
  writeOutputs(settings: Settings, outcome: Outcome): void
  /** Outputs (unless written already), the job summary and the failure line, whatever ended the step. */
  end(ending: Ending): Promise<void>
}

export function stepEnding({ end, log, scrub, env }: EndingParts): StepEnding {
  const writeOutputs = (settings: Settings, outcome: Outcome): void => {
    const outputs = stepOutputs(outcome, settings.target, settings.serverIds, log.warning)
    for (const [name, value] of Object.entries(outputs)) end.setOutput(name, scrub(value))
    markOutputsWritten(outcome)
  }

  const writeSummary = async (report: Report): Promise<void> => {
    try {
      // A chunk of its own (ncc): a step loads it only once it ends.
      const { renderSummary } = await import('./summary.js')
      await end.writeSummary(renderSummary({ ...report, scrub }))
    } catch (error) {
      log.warning(`Could not write the job summary: ${(error as Error).message}`)
    }
  }

  /** Outputs and the job summary, each written once. */
  const report = async (settings: Settings, ending: Ending): Promise<void> => {
    const { outcome, automatic, armed, failure } = ending
    if (!automatic && !outcome.outputsWritten) writeOutputs(settings, outcome)
    // A backup's outputs are written before its prune; its deployment is created after it.
    else if (outcome.ledger?.deploymentId && !automatic)
      end.setOutput('deployment_id', String(outcome.ledger.deploymentId))
    const actionRef = `${env.GITHUB_ACTION_REPOSITORY || 'vpsorg/backup-action'}@${env.GITHUB_ACTION_REF || 'v1'}`
    await writeSummary({
      mode: settings.target.mode,
      serverIds: settings.serverIds,
      // What is still running shows under its own heading; the failure's reason does not repeat it.
      outcome,
      elapsedMs: ending.elapsedMs,
      automatic,
      actionRef: actionRef.replace(/[^\w./@-]/g, ''),
      apiUrl: settings.apiUrl,
      // Steps without an id get a generated one (`__owner_repo`) that `steps.` cannot name.
      stepId: env.GITHUB_ACTION?.startsWith('__') ? undefined : env.GITHUB_ACTION,
      error: failure === undefined ? undefined : reason(failure, outcome),
      rollback:
        settings.rollbackOnFailure && !automatic ? (armed ? 'armed' : 'not armed') : undefined
    })
  }

  /** One line for an expected failure; the stack only for a bug, and only in the debug log. */
  const fail = (error: unknown, outcome: Outcome): void => {
    if (!(error instanceof ActionError) && error instanceof Error) log.debug(error.stack ?? '')
    end.setFailed(neutralise(scrub(message(error, outcome))))
  }

  return {
    writeOutputs,
    end: async (ending) => {
      const { settings, outcome, failure } = ending
      if (settings) await report(settings, ending)
      // The inputs could not be read: the summary shows the failure alone.
      else
        await writeSummary({
          outcome,
          elapsedMs: 0,
          actionRef: '',
          error: reason(failure, outcome)
        })
      if (failure !== undefined) fail(failure, outcome)
    }
  }
}

/** Why the step failed, without what it left running (the summary says that under its own heading). */
function reason(error: unknown, outcome: Outcome): string {
  if (error instanceof CancelledError) {
    return `The workflow was cancelled.${pendingOf(outcome) ? '' : ' Nothing the action started is left running on VPS.org.'}`
  }
  if (error instanceof WaitTimeoutError && outcome.servers) {
    return `${error.message}. backup_ids names every backup created, for later steps.`
  }
  if (error instanceof WaitTimeoutError && outcome.backup) {
    return `${error.message}. backup_id is set to ${outcome.backup.id} for later steps.`
  }
  return error instanceof Error ? error.message : String(error)
}

/**
 * The failure's line for the log: why, then what is left running. Why is a sentence of its own:
 * it may end in a server's words, with a full stop or without.
 */
function message(error: unknown, outcome: Outcome): string {
  const why = reason(error, outcome)
  const pending = pendingOf(outcome)
  return why && pending ? `${sentence(why)} ${pending}` : why || pending || ''
}
