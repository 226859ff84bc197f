/**
 * `npm run lint` (after ESLint): the shape of src/, as CONTRIBUTING's layout describes it.
 *
 * - Layers: src/'s folders stack in the order of LAYERS, and a module imports only from its own
 *   folder or a folder below it; main.ts and index.ts sit on top. An import that climbs (a mode
 *   reading the report, the client reading the inputs) is a problem, type-only imports included.
 * - No import cycle between modules, type-only imports included.
 * - No file in src/ over MAX_LINES lines.
 *
 * One line per problem; exit code 1 if there is any.
 *
 * Usage: node lib/scripts/check-layers.js [repository folder, default: this repository]
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { isEntry } from './entry.js'
import { ROOT } from './root.js'

/** src/'s folders, bottom first: each may import its own folder and those before it. */
export const LAYERS = [
  'common',
  'vpsorg',
  'github',
  'inputs',
  'runtime',
  'health',
  'modes',
  'report'
] as const

/** The longest a file in src/ may be. */
export const MAX_LINES = 300

/** A module of src/: its path from src/ (`modes/restore.ts`) and its text. */
export interface SourceFile {
  path: string
  text: string
}

/** Relative module specifiers of static imports, re-exports and dynamic `import()`s. */
export function importsOf(text: string): string[] {
  const found: string[] = []
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"\n]+)\1/gm
  for (const match of text.matchAll(pattern)) found.push(match[2] as string)
  return found
}

/** A module's layer: its folder's place in LAYERS; the files at src/'s top are above them all. */
export function layerOf(path: string): number {
  const folder = path.includes('/') ? path.slice(0, path.indexOf('/')) : undefined
  if (folder === undefined) return LAYERS.length
  const index = (LAYERS as readonly string[]).indexOf(folder)
  return index === -1 ? -1 : index
}

/** The module a specifier names, as a path from src/ (`../common/log.js` -> `common/log.ts`). */
function resolveImport(from: string, specifier: string): string {
  return normalize(join(dirname(from), specifier)).replace(/\.js$/, '.ts')
}

/** Every problem of src/'s shape, one line each; [] when there is none. */
export function layerProblems(files: readonly SourceFile[]): string[] {
  const problems: string[] = []
  const known = new Set(files.map((file) => file.path))
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const lines = file.text.split('\n').length - (file.text.endsWith('\n') ? 1 : 0)
    if (lines > MAX_LINES) problems.push(`src/${file.path}: ${lines} lines (at most ${MAX_LINES})`)
    const layer = layerOf(file.path)
    if (layer === -1) problems.push(`src/${file.path}: in a folder that is not a layer`)
    const targets = importsOf(file.text).map((specifier) => resolveImport(file.path, specifier))
    graph.set(
      file.path,
      targets.filter((target) => known.has(target))
    )
    for (const target of targets) {
      if (target.startsWith('..')) problems.push(`src/${file.path}: imports ${target} outside src/`)
      else if (layerOf(target) > layer)
        problems.push(`src/${file.path}: imports src/${target}, a layer above it`)
    }
  }
  for (const cycle of cyclesOf(graph)) problems.push(`import cycle: ${cycle.join(' -> ')}`)
  return problems
}

/** Each import cycle once, as the modules along it, back to the first. */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = []
  const done = new Set<string>()
  const path: string[] = []
  const visit = (node: string): void => {
    const at = path.indexOf(node)
    if (at !== -1) {
      cycles.push([...path.slice(at), node])
      return
    }
    if (done.has(node)) return
    path.push(node)
    for (const next of graph.get(node) ?? []) visit(next)
    path.pop()
    done.add(node)
  }
  for (const node of [...graph.keys()].sort()) visit(node)
  return cycles
}

/** src/'s TypeScript files, with their paths from src/ (always with `/`). */
export function readSources(dir: string): SourceFile[] {
  const src = join(dir, 'src')
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts'))
    .sort()
    .map((path) => ({
      path: relative(src, join(src, path)).split('\\').join('/'),
      text: readFileSync(join(src, path), 'utf8')
    }))
}

if (isEntry(import.meta.url)) {
  const problems = layerProblems(readSources(process.argv[2] ?? ROOT))
  for (const problem of problems) console.error(problem)
  if (problems.length) process.exit(1)
  console.log('src/: every import points down a layer, no cycle, no file over 300 lines.')
}
