/**
 * `npm run check:action`: checks action.yml against the Marketplace's rules and against the code.
 *
 * Why our own script: `@action-validator/cli` 0.6.0, the npm-packaged schema validator, rejects
 * `runs.using: node24` because its schema predates node24, and actionlint lints workflows but does
 * not read an action's own metadata. So this is a short check over the parsed YAML, and of its
 * input and output names against the lists src/ declares (INPUTS in src/inputs/settings.ts, OUTPUTS in
 * src/report/outputs.ts), which type the code's input reader and outputs. One line per problem; exit
 * code 1 if there is any.
 *
 * Usage: node lib/scripts/check-action.js [repository folder, default: this repository]
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { INPUTS } from '../src/inputs/settings.js'
import { OUTPUTS } from '../src/report/outputs.js'
import { runLint } from './lint-workflows.js'
import { isEntry } from './entry.js'
import { ROOT } from './root.js'

const TOP_LEVEL = ['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding']
const INPUT_KEYS = ['description', 'required', 'default', 'deprecationMessage']
const COLORS = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']
/** The Marketplace refuses to publish an action whose description is 125 characters or longer. */
const MAX_DESCRIPTION = 124

type Yaml = Record<string, unknown>
const isMap = (value: unknown): value is Yaml =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown): boolean => typeof value === 'string' && value.trim() !== ''
/** Records a problem at a key of action.yml, such as `inputs.mode`. */
type Add = (key: string, problem: string) => void

async function checkAction(dir: string): Promise<string[]> {
  const problems: string[] = []
  const add: Add = (key, problem) => problems.push(`action.yml: ${key}: ${problem}`)
  const action: unknown = parse(readFileSync(join(dir, 'action.yml'), 'utf8'))
  if (!isMap(action)) return ['action.yml: not a YAML mapping']
  checkListing(action, add)
  const inputs = isMap(action.inputs) ? action.inputs : {}
  const outputs = isMap(action.outputs) ? action.outputs : {}
  checkInputs(inputs, add)
  checkOutputs(outputs, add)
  await checkRuns(dir, isMap(action.runs) ? action.runs : {}, add)
  // The names src/ declares (src/inputs/settings.ts, src/report/outputs.ts) are the names action.yml declares.
  compareNames('inputs', Object.keys(inputs), INPUTS, add)
  compareNames('outputs', Object.keys(outputs), OUTPUTS, add)
  return problems
}

/** The keys, name, description and branding the Marketplace lists. */
function checkListing(action: Yaml, add: Add): void {
  for (const key of Object.keys(action)) {
    if (!TOP_LEVEL.includes(key)) add(key, 'is not an action.yml key')
  }
  if (!text(action.name)) add('name', 'is not set')
  if (!text(action.description)) add('description', 'is not set')
  else if ((action.description as string).length > MAX_DESCRIPTION) {
    add(
      'description',
      `is ${(action.description as string).length} characters; the Marketplace takes at most ${MAX_DESCRIPTION}`
    )
  }
  const branding = isMap(action.branding) ? action.branding : {}
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(String(branding.icon ?? ''))) {
    add('branding.icon', 'is not set to a Feather icon name')
  }
  if (!COLORS.includes(String(branding.color))) {
    add('branding.color', `must be one of ${COLORS.join(', ')}`)
  }
}

function checkInputs(inputs: Yaml, add: Add): void {
  for (const [name, input] of Object.entries(inputs)) {
    const spec = isMap(input) ? input : {}
    for (const key of Object.keys(spec)) {
      if (!INPUT_KEYS.includes(key)) add(`inputs.${name}`, `unknown key '${key}'`)
    }
    if (!text(spec.description)) add(`inputs.${name}`, 'has no description')
    if ('default' in spec && typeof spec.default !== 'string') {
      add(`inputs.${name}.default`, `must be a string (quote it: '${String(spec.default)}')`)
    }
    if ('required' in spec && typeof spec.required !== 'boolean') {
      add(`inputs.${name}.required`, 'must be true or false')
    }
    if (spec.required === true && 'default' in spec) {
      add(`inputs.${name}`, 'is required and has a default: one of them is wrong')
    }
  }
}

function checkOutputs(outputs: Yaml, add: Add): void {
  for (const [name, output] of Object.entries(outputs)) {
    const spec = isMap(output) ? output : {}
    if (!text(spec.description)) add(`outputs.${name}`, 'has no description')
    if ('value' in spec) add(`outputs.${name}`, "'value' is for composite actions only")
  }
}

/** `runs`: node24, committed files in dist/, and pre-if/post-if conditions. */
async function checkRuns(dir: string, runs: Yaml, add: Add): Promise<void> {
  if (runs.using !== 'node24') add('runs.using', `must be node24, is '${String(runs.using)}'`)
  for (const key of ['pre', 'main', 'post'] as const) {
    if (key !== 'main' && !(key in runs)) continue
    const path = String(runs[key] ?? '')
    const target = resolve(dir, path)
    if (!path.startsWith('dist/')) add(`runs.${key}`, `'${path}' is not in dist/`)
    else if (!existsSync(target) || statSync(target).size === 0) {
      add(`runs.${key}`, `'${path}' does not exist or is empty: run npm run build`)
    } else if (!tracked(dir, path)) {
      add(`runs.${key}`, `'${path}' is not committed; the runner only sees committed files`)
    }
  }
  for (const key of ['pre-if', 'post-if'] as const) {
    if (!(key in runs)) continue
    if (!(key.replace('-if', '') in runs))
      add(`runs.${key}`, `is set without runs.${key.slice(0, -3)}`)
    for (const problem of await conditionProblems(runs[key])) add(`runs.${key}`, problem)
  }
}

/** Every name action.yml declares is in src/'s list, and every name in the list is declared. */
function compareNames(
  kind: 'inputs' | 'outputs',
  declared: string[],
  code: readonly string[],
  add: Add
): void {
  const file = kind === 'inputs' ? 'src/inputs/settings.ts INPUTS' : 'src/report/outputs.ts OUTPUTS'
  for (const name of declared) {
    if (!code.includes(name)) add(`${kind}.${name}`, `is declared but not in ${file}`)
  }
  for (const name of code) {
    if (!declared.includes(name)) add(kind, `'${name}' is in ${file} but not declared`)
  }
}

/**
 * A pre-if/post-if condition: the runner evaluates it like a step's `if:`, so actionlint checks its
 * syntax, functions and contexts inside a one-step workflow. It runs where inputs are not
 * available (the runner evaluates it before the step), so it must not read them.
 */
async function conditionProblems(condition: unknown): Promise<string[]> {
  if (!text(condition)) return ['is empty; use a status function such as failure() or always()']
  const expression = String(condition)
  const problems: string[] = []
  if (/\binputs\s*\./.test(expression)) problems.push('cannot read inputs')
  const workflow = [
    'on: push',
    'jobs:',
    '  check:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    `      - if: ${JSON.stringify(expression)}`,
    "        run: 'true'",
    ''
  ].join('\n')
  for (const r of await runLint(workflow, 'action.yml')) problems.push(`${r.message} [${r.kind}]`)
  return problems
}

/** Whether git tracks the file; true outside a git checkout (nothing to compare with). */
function tracked(dir: string, path: string): boolean {
  try {
    const listed = execFileSync('git', ['ls-files', '--', path], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore']
    })
    return listed.trim() !== ''
  } catch {
    return true
  }
}

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? ROOT)
  const problems = await checkAction(dir)
  for (const problem of problems) console.log(problem)
  if (problems.length > 0) {
    console.log(`check:action: ${problems.length} problem(s) in ${join(dir, 'action.yml')}.`)
  } else {
    console.log('check:action: action.yml is complete and matches src/.')
  }
  // No process.exit() after actionlint has run: it can hang (see lint-workflows.ts).
  process.exitCode = problems.length > 0 ? 1 : 0
}

if (isEntry(import.meta.url)) await main()
