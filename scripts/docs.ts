/**
 * `npm run docs`: writes the README's inputs and outputs tables from action.yml, between
 * `<!-- inputs:start -->` / `<!-- inputs:end -->` and `<!-- outputs:start -->` / `<!-- outputs:end -->`.
 * `npm run check:docs` (`--check`): changes nothing, exits 1 when the README differs (docs drift).
 * An optional folder argument points at another checkout (default: this repository).
 *
 * The tables are written compact, without column padding, so that the raw README stays readable;
 * the README keeps them between `<!-- prettier-ignore-start -->` / `<!-- prettier-ignore-end -->`
 * so that `prettier --write` leaves them so.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { isEntry } from './entry.js'
import { ROOT } from './root.js'

interface Field {
  description?: string
  required?: boolean
  default?: string
}

interface Action {
  inputs?: Record<string, Field>
  outputs?: Record<string, Field>
}

/** Table cell text: one line, `|` escaped. */
function cell(value: string): string {
  return value.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')
}

function code(value: string): string {
  const ticks = value.includes('`') ? '``' : '`'
  return `${ticks}${value}${ticks}`
}

export function inputsTable(action: Action): string {
  const rows = Object.entries(action.inputs ?? {}).map(([name, input]) => {
    const fallback =
      input.default === undefined ? '' : input.default === '' ? '_empty_' : code(input.default)
    return `| ${code(name)} | ${input.required ? '**yes**' : 'no'} | ${fallback} | ${cell(input.description ?? '')} |`
  })
  return [
    '| Input | Required | Default | Description |',
    '| --- | --- | --- | --- |',
    ...rows
  ].join('\n')
}

export function outputsTable(action: Action): string {
  const rows = Object.entries(action.outputs ?? {}).map(
    ([name, output]) => `| ${code(name)} | ${cell(output.description ?? '')} |`
  )
  return ['| Output | Description |', '| --- | --- |', ...rows].join('\n')
}

/** Replaces what is between the markers of `section`; throws when they are missing. */
export function replaceSection(readme: string, section: string, content: string): string {
  const start = `<!-- ${section}:start -->`
  const end = `<!-- ${section}:end -->`
  const from = readme.indexOf(start)
  const to = readme.indexOf(end, from)
  if (from < 0 || to < 0) throw new Error(`README.md has no ${start} ... ${end} markers`)
  return `${readme.slice(0, from + start.length)}\n\n${content.trim()}\n\n${readme.slice(to)}`
}

export function renderReadme(root: string): { current: string; wanted: string } {
  const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as Action
  const readmePath = join(root, 'README.md')
  const current = readFileSync(readmePath, 'utf8')
  let wanted = current
  for (const [section, table] of [
    ['inputs', inputsTable(action)],
    ['outputs', outputsTable(action)]
  ] as const) {
    wanted = replaceSection(wanted, section, table)
  }
  return { current, wanted }
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check')
  const root = resolve(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? ROOT)
  let result: { current: string; wanted: string }
  try {
    result = renderReadme(root)
  } catch (error) {
    console.error(`docs: ${(error as Error).message}`)
    process.exitCode = 1
    return
  }
  const { current, wanted } = result
  if (current === wanted) {
    console.log('docs: the README inputs and outputs tables match action.yml.')
    return
  }
  if (check) {
    const currentLines = current.split('\n')
    const wantedLines = wanted.split('\n')
    const line = wantedLines.findIndex((text, i) => text !== currentLines[i]) + 1
    console.error(
      `README.md:${line}: the inputs/outputs tables differ from action.yml (docs drift); run npm run docs and commit README.md.`
    )
    process.exitCode = 1
    return
  }
  writeFileSync(join(root, 'README.md'), wanted)
  console.log('docs: README.md inputs and outputs tables written from action.yml.')
}

if (isEntry(import.meta.url)) await main()
