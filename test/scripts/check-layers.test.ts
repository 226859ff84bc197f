import { describe, expect, it } from 'vitest'
import {
  LAYERS,
  MAX_LINES,
  cyclesOf,
  importsOf,
  layerOf,
  layerProblems,
  readSources
} from '../../scripts/check-layers.js'
import { ROOT } from '../../scripts/root.js'

const file = (path: string, ...imports: string[]): { path: string; text: string } => ({
  path,
  text: imports.map((specifier) => `import { x } from '${specifier}'\n`).join('')
})

describe('src/ as it is', () => {
  it('has every import pointing down a layer, no cycle and no file over 300 lines', () => {
    const sources = readSources(ROOT)
    expect(sources.map((s) => s.path)).toContain('modes/restore.ts')
    expect(layerProblems(sources)).toEqual([])
  })

  it('has a layer for every folder', () => {
    const folders = new Set(
      readSources(ROOT)
        .map((s) => s.path)
        .filter((path) => path.includes('/'))
        .map((path) => path.slice(0, path.indexOf('/')))
    )
    expect([...folders].sort()).toEqual([...LAYERS].sort())
  })
})

describe('importsOf', () => {
  it('finds static imports, type imports, re-exports, side-effect and dynamic imports', () => {
    const text = [
      "import { a } from './a.js'",
      "import type { B } from '../common/b.js'",
      "export { c } from './c.js'",
      "import './d.js'",
      "const { e } = await import('../modes/e.js')",
      'import {',
      '  f,',
      '  g',
      "} from './fg.js'",
      "import { getOctokit } from '@actions/github'",
      "import { readFileSync } from 'node:fs'"
    ].join('\n')
    expect(importsOf(text)).toEqual([
      './a.js',
      '../common/b.js',
      './c.js',
      './d.js',
      '../modes/e.js',
      './fg.js'
    ])
  })

  it('ignores a path in a string that is not an import', () => {
    expect(importsOf("const where = './a.js'\nlog('from ./b.js')")).toEqual([])
  })
})

describe('layerOf', () => {
  it('orders the folders bottom first and puts src/ top-level files above them all', () => {
    expect(layerOf('common/errors.ts')).toBe(0)
    expect(layerOf('report/summary.ts')).toBe(LAYERS.length - 1)
    expect(layerOf('main.ts')).toBe(LAYERS.length)
    expect(layerOf('elsewhere/x.ts')).toBe(-1)
  })
})

describe('layerProblems', () => {
  it('accepts imports down, sideways within a folder, and from the top', () => {
    const files = [
      file('common/log.ts', './untrusted.js'),
      file('common/untrusted.ts'),
      file('modes/restore.ts', '../common/log.js', './send-once.js'),
      file('modes/send-once.ts'),
      file('main.ts', './modes/restore.js', './common/log.js')
    ]
    expect(layerProblems(files)).toEqual([])
  })

  it('refuses an import that climbs, type-only or dynamic', () => {
    const files = [
      { path: 'vpsorg/client.ts', text: "import type { Settings } from '../inputs/settings.js'\n" },
      { path: 'modes/restore.ts', text: "const s = await import('../report/summary.js')\n" },
      file('common/log.ts', '../main.js'),
      file('inputs/settings.ts'),
      file('report/summary.ts'),
      file('main.ts')
    ]
    expect(layerProblems(files)).toEqual([
      'src/vpsorg/client.ts: imports src/inputs/settings.ts, a layer above it',
      'src/modes/restore.ts: imports src/report/summary.ts, a layer above it',
      'src/common/log.ts: imports src/main.ts, a layer above it'
    ])
  })

  it('refuses a folder that is not a layer and an import out of src/', () => {
    expect(layerProblems([file('misc/x.ts', '../../scripts/y.js')])).toEqual([
      'src/misc/x.ts: in a folder that is not a layer',
      'src/misc/x.ts: imports ../scripts/y.ts outside src/'
    ])
  })

  it('refuses a file over the limit, and takes one of exactly the limit', () => {
    const lines = (n: number): string => 'x\n'.repeat(n)
    expect(
      layerProblems([
        { path: 'common/long.ts', text: lines(MAX_LINES + 1) },
        { path: 'common/full.ts', text: lines(MAX_LINES) }
      ])
    ).toEqual([`src/common/long.ts: ${MAX_LINES + 1} lines (at most ${MAX_LINES})`])
  })

  it('refuses an import cycle within one layer', () => {
    const files = [
      file('runtime/a.ts', './b.js'),
      file('runtime/b.ts', './c.js'),
      file('runtime/c.ts', './a.js')
    ]
    expect(layerProblems(files)).toEqual([
      'import cycle: runtime/a.ts -> runtime/b.ts -> runtime/c.ts -> runtime/a.ts'
    ])
  })
})

describe('cyclesOf', () => {
  it('reports each cycle once, and none in a graph that only shares a module', () => {
    const diamond = new Map([
      ['a', ['b', 'c']],
      ['b', ['d']],
      ['c', ['d']],
      ['d', []]
    ])
    expect(cyclesOf(diamond)).toEqual([])
    const two = new Map([
      ['a', ['b']],
      ['b', ['a', 'c']],
      ['c', ['c']]
    ])
    expect(cyclesOf(two)).toEqual([
      ['a', 'b', 'a'],
      ['c', 'c']
    ])
  })
})
