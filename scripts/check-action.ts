/**
 * `npm run check:action`: checks action.yml against the Marketplace's rules and against the code.
 *
 * Why our own script: `@action-validator/cli` 0.6.0, the npm-packaged schema validator, rejects
 * `runs.using: node24` because its schema predates node24, and actionlint lints workflows but does
 * not read an action's own metadata. So this is a short check over the parsed YAML, plus a scan of
 * src/ (with the TypeScript parser, so comments and strings cannot fool it) for the inputs the
 * code reads and the outputs it sets. One line per problem; exit code 1 if there is any.
 *
 * Usage: node lib/scripts/check-action.js [repository folder, default: this repository]
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { parse } from 'yaml'
import { ROOT, runLint } from './lint-workflows.js'

const TOP_LEVEL = ['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding']
const INPUT_KEYS = ['description', 'required', 'default', 'deprecationMessage']
const COLORS = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']
/** The Marketplace refuses to publish an action whose description is 125 characters or longer. */
const MAX_DESCRIPTION = 124
/** Calls whose first argument names an input: @actions/core's readers and src/inputs.ts's `read`. */
const READERS = new Set(['getInput', 'getBooleanInput', 'getMultilineInput', 'read'])

type Yaml = Record<string, unknown>
const isMap = (value: unknown): value is Yaml =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown): boolean => typeof value === 'string' && value.trim() !== ''

interface Use {
  name: string
  where: string
}

/** The inputs src/ reads and the outputs it sets, each with where. */
export function scanSources(dir: string): { inputs: Use[]; outputs: Use[]; problems: string[] } {
  const inputs: Use[] = []
  const outputs: Use[] = []
  const problems: string[] = []
  let dynamicOutput: string | undefined
  let outputsRecord = false
  const files = (readdirSync(join(dir, 'src'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, 'src', f))
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
    const where = (node: ts.Node): string =>
      `${relative(dir, file)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`
    const literal = (node: ts.Node | undefined): string | undefined =>
      node && ts.isStringLiteralLike(node) ? node.text : undefined
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = ts.isPropertyAccessExpression(node.expression)
          ? node.expression.name.text
          : ts.isIdentifier(node.expression)
            ? node.expression.text
            : ''
        const first = literal(node.arguments[0])
        if (READERS.has(callee) && first !== undefined)
          inputs.push({ name: first, where: where(node) })
        // A helper handed the reader, e.g. required(read, 'server_id', ...), boolean(read, 'wait', true).
        node.arguments.forEach((arg, i) => {
          const name = literal(node.arguments[i + 1])
          if (ts.isIdentifier(arg) && arg.text === 'read' && name !== undefined) {
            inputs.push({ name, where: where(node) })
          }
        })
        if (callee === 'setOutput') {
          if (first !== undefined) outputs.push({ name: first, where: where(node) })
          else dynamicOutput ??= where(node)
        }
      }
      // The runner's own form: process.env.INPUT_NAME
      if (ts.isPropertyAccessExpression(node) && node.name.text.startsWith('INPUT_')) {
        inputs.push({ name: node.name.text.slice(6).toLowerCase(), where: where(node) })
      }
      // src/main.ts builds `const outputs = { backup_id: ..., status: ... }` and sets each entry.
      if (
        ts.isVariableDeclaration(node) &&
        ts.isIdentifier(node.name) &&
        node.name.text === 'outputs' &&
        node.initializer &&
        ts.isObjectLiteralExpression(node.initializer)
      ) {
        outputsRecord = true
        for (const property of node.initializer.properties) {
          const name = property.name
          if (name && (ts.isIdentifier(name) || ts.isStringLiteral(name))) {
            outputs.push({ name: name.text, where: where(property) })
          }
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  if (dynamicOutput && !outputsRecord) {
    problems.push(`${dynamicOutput}: setOutput with a computed name, and no \`outputs\` record`)
  }
  return { inputs, outputs, problems }
}

async function checkAction(dir: string): Promise<string[]> {
  const problems: string[] = []
  /** `where` is a key of action.yml (`inputs.mode`) or a place in src/ (`src/main.ts:12`). */
  const add = (where: string, problem: string): number =>
    problems.push(`${where.startsWith('src/') ? '' : 'action.yml: '}${where}: ${problem}`)
  const action: unknown = parse(readFileSync(join(dir, 'action.yml'), 'utf8'))
  if (!isMap(action)) return ['action.yml: not a YAML mapping']

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

  const inputs = isMap(action.inputs) ? action.inputs : {}
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
  const outputs = isMap(action.outputs) ? action.outputs : {}
  for (const [name, output] of Object.entries(outputs)) {
    const spec = isMap(output) ? output : {}
    if (!text(spec.description)) add(`outputs.${name}`, 'has no description')
    if ('value' in spec) add(`outputs.${name}`, "'value' is for composite actions only")
  }

  const runs = isMap(action.runs) ? action.runs : {}
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

  // Every input the code reads is declared, and every declared input is read.
  const code = scanSources(dir)
  problems.push(...code.problems)
  const declaredInputs = new Set(Object.keys(inputs).map((n) => n.toLowerCase()))
  const read = new Set(code.inputs.map((use) => use.name.toLowerCase()))
  for (const use of code.inputs) {
    if (!declaredInputs.has(use.name.toLowerCase())) {
      add(use.where, `reads input '${use.name}', which action.yml does not declare`)
    }
  }
  for (const name of Object.keys(inputs)) {
    if (!read.has(name.toLowerCase())) add(`inputs.${name}`, 'is declared but src/ never reads it')
  }
  const declaredOutputs = new Set(Object.keys(outputs))
  const set = new Set(code.outputs.map((use) => use.name))
  for (const use of code.outputs) {
    if (!declaredOutputs.has(use.name)) {
      add(use.where, `sets output '${use.name}', which action.yml does not declare`)
    }
  }
  for (const name of Object.keys(outputs)) {
    if (!set.has(name)) add(`outputs.${name}`, 'is declared but src/ never sets it')
  }
  return problems
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

if (import.meta.main) await main()
