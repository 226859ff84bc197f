/**
 * Runs the built action (dist/) the way the GitHub Actions runner does: one process per step,
 * an INPUT_* variable for every input declared in action.yml (the `with:` value, else the declared
 * default), fresh GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY / GITHUB_ENV / GITHUB_PATH
 * files, a GITHUB_EVENT_PATH file, and for the post step a STATE_* variable per saved state.
 * Used by the end-to-end tests, the demo and the benchmark.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ROOT } from './root.js'

const ACTION = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>
  runs: { main: string; post?: string }
}

export interface StepResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** stdout and stderr as the runner shows them (::add-mask:: commands consumed). */
  log: string
  /**
   * Every ::add-mask:: command, in order: the value, and how many characters of `log` the step
   * had written before it (0: before any other output).
   */
  masks: Array<{ value: string; offset: number }>
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  durationMs: number
}

export interface StepOptions {
  /** The step's `with:` values. */
  with?: Record<string, string>
  /** Extra environment (proxy variables, context overrides). */
  env?: Record<string, string | undefined>
  /** The post step: STATE_* from the main step's saved state. */
  post?: { state: Record<string, string> }
  /** Called with each chunk of log as it arrives. */
  onLog?: (chunk: string) => void
  /** Send these signals at these times (ms after start), as the runner does on cancellation. */
  signals?: Array<{ afterMs: number; signal: NodeJS.Signals }>
}

/** What the runner gives for `${{ github.token }}`, the default of github_token, in local runs. */
export const LOCAL_GITHUB_TOKEN = 'ghs_LocalRunnerJobToken0000000000000000'

/** The runner's defaults for a job of acme/shop; tests and the demo override what they need. */
function contextEnv(): Record<string, string> {
  return {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SHA: '3f786850e387550fdab836ed7e6dc881de23001b',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '9876543210',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_JOB: 'deploy',
    GITHUB_ACTION: 'backup',
    GITHUB_ACTOR: 'octocat',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_EVENT_NAME: 'push'
  }
}

/** Reads a file written with `name<<DELIMITER` / value / `DELIMITER` (or `name=value`) lines. */
function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1)
      values[heredoc[1]!] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return values
}

/** The file commands' files of one step, in `dir`. */
function stepFiles(dir: string) {
  return {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
    GITHUB_EVENT_PATH: join(dir, 'event.json')
  }
}

/**
 * The environment the runner gives a step of this action whose files live in `dir` (created
 * empty here): context, file commands, an INPUT_* for every declared input (the `with:` value,
 * else the default), STATE_* for a post step, then `options.env` on top.
 */
export function stepEnv(dir: string, options: StepOptions = {}): Record<string, string> {
  const files = stepFiles(dir)
  for (const file of Object.values(files)) writeFileSync(file, '')
  writeFileSync(files.GITHUB_EVENT_PATH, JSON.stringify({ ref: 'refs/heads/main' }))
  const inputs: Record<string, string> = {}
  for (const [name, spec] of Object.entries(ACTION.inputs)) {
    const fallback = spec.default === '${{ github.token }}' ? LOCAL_GITHUB_TOKEN : spec.default
    const value = options.with?.[name] ?? fallback ?? ''
    inputs[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  const state: Record<string, string> = {}
  for (const [name, value] of Object.entries(options.post?.state ?? {})) {
    state[`STATE_${name}`] = value
  }
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }
  Object.assign(env, contextEnv(), { RUNNER_TEMP: dir }, files, inputs, state)
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  return env
}

/** Runs one step of the action and returns what the runner would see. */
export async function runStep(options: StepOptions = {}): Promise<StepResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vpsorg-step-'))
  const env = stepEnv(dir, options)
  const files = stepFiles(dir)
  const script = join(ROOT, options.post ? (ACTION.runs.post ?? '') : ACTION.runs.main)
  const started = performance.now()
  const child = spawn(process.execPath, [script], {
    env,
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let log = ''
  const masks: StepResult['masks'] = []
  const collect = (chunk: Buffer): void => {
    // The runner consumes ::add-mask:: commands: they are never shown in the log.
    let shown = ''
    for (const line of chunk.toString('utf8').split(/(?<=\n)/)) {
      const mask = /^::add-mask::(.*)\n?$/.exec(line)
      if (mask) masks.push({ value: mask[1]!, offset: log.length + shown.length })
      else shown += line
    }
    log += shown
    options.onLog?.(shown)
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const timers = (options.signals ?? []).map(({ afterMs, signal }) =>
    setTimeout(() => child.kill(signal), afterMs)
  )
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) =>
    child.on('close', (code, sig) => done([code, sig]))
  )
  const durationMs = performance.now() - started
  timers.forEach(clearTimeout)
  const result: StepResult = {
    exitCode,
    signal,
    log,
    masks,
    durationMs,
    outputs: parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state: parseFileCommands(readFileSync(files.GITHUB_STATE, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')
  }
  rmSync(dir, { recursive: true, force: true })
  return result
}
