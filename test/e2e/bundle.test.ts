/**
 * The shape of the committed bundle, where it decides start-up (`npm run bench -- --startup`) or
 * whether the action runs at all on the runner, which installs no node_modules.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../../scripts/root.js'

const DIST = join(ROOT, 'dist')
const entry = readFileSync(join(DIST, 'index.js'), 'utf8')
const chunks = readdirSync(DIST)
  .filter((file) => /^\d+\.index\.js$/.test(file))
  .map((file) => ({ file, text: readFileSync(join(DIST, file), 'utf8') }))

describe('dist/', () => {
  it('requires nothing but Node built-ins at run time', () => {
    const required = [entry, ...chunks.map((c) => c.text)].flatMap((text) =>
      [...text.matchAll(/\(import\.meta\.url\)\("([^"]+)"\)/g)].map((m) => m[1]!)
    )
    expect(required.length).toBeGreaterThan(0)
    expect(required.filter((name) => !builtinModules.includes(name.replace(/^node:/, '')))).toEqual(
      []
    )
  })

  it('runs its entry at the top level: no top-level await wraps it in an async module', () => {
    // `await run()` in src/index.ts makes ncc end the bundle with `x = await x;` and put every
    // line of the entry inside a module function, which V8 parses twice.
    const end = entry.trimEnd().slice(-60)
    expect(end).toMatch(/\bvoid run\(\);$/)
    expect(end).not.toMatch(/=await \w+;$/)
  })

  it("keeps @actions/github (Octokit) in the entry's top-level code, out of every chunk", () => {
    // A chunk that imports @actions/github makes ncc move it into a module function of its own.
    const runtime = entry.indexOf('function __nccwpck_require__(')
    expect(runtime).toBeGreaterThan(0)
    expect(entry.indexOf('class Octokit')).toBeGreaterThan(runtime)
    expect(chunks.length).toBeGreaterThan(0)
    for (const { file, text } of chunks)
      expect(/class Octokit|getOctokit/.test(text), file).toBe(false)
  })
})
