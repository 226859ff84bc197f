import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { inputsTable, outputsTable, renderReadme, replaceSection } from '../../scripts/docs.js'
import { isWorkflow, yamlBlocks } from '../../scripts/lint-workflows.js'
import { ROOT } from '../../scripts/root.js'
import { parseInputs } from '../../src/inputs/parse.js'
import { INPUTS } from '../../src/inputs/settings.js'
import { OUTPUTS } from '../../src/report/outputs.js'
import { context } from '../helpers/run-context.js'

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
}

describe('README tables (scripts/docs.ts)', () => {
  it('has a row for every input and output, defaults as code, empty ones named', () => {
    const table = inputsTable({
      inputs: {
        token: { description: 'The token.', required: true },
        wait: { description: 'Wait | or not.\nReally.', default: 'true' },
        note: { description: 'Free text.', default: '' }
      }
    })
    expect(table.split('\n')).toEqual([
      '| Input | Required | Default | Description |',
      '| --- | --- | --- | --- |',
      '| `token` | **yes** |  | The token. |',
      '| `wait` | no | `true` | Wait \\| or not. Really. |',
      '| `note` | no | _empty_ | Free text. |'
    ])
    expect(outputsTable({ outputs: { id: { description: 'The id.' } } })).toContain(
      '| `id` | The id. |'
    )
  })

  it('replaces only what is between the markers, and refuses a README without them', () => {
    const readme = 'a\n<!-- inputs:start -->\nold\n<!-- inputs:end -->\nb\n'
    expect(replaceSection(readme, 'inputs', 'new\n')).toBe(
      'a\n<!-- inputs:start -->\n\nnew\n\n<!-- inputs:end -->\nb\n'
    )
    expect(() => replaceSection('no markers', 'outputs', 'x')).toThrow(/outputs:start/)
  })

  it('the README in the repository matches action.yml', () => {
    const { current, wanted } = renderReadme(ROOT)
    expect(current).toBe(wanted)
  })
})

describe('README examples (scripts/lint-workflows.ts)', () => {
  it('finds yaml blocks with the line of their first line, fence indentation removed', () => {
    const markdown = [
      '# t',
      '```yaml',
      'on: push',
      'jobs: {}',
      '```',
      '- item',
      '  ```yml',
      '  a: 1',
      '  ```'
    ].join('\n')
    expect(yamlBlocks(markdown)).toEqual([
      { line: 3, text: 'on: push\njobs: {}\n' },
      { line: 8, text: 'a: 1\n' }
    ])
  })

  it('tells a whole workflow from a snippet of steps', () => {
    expect(isWorkflow('on:\n  push:\njobs:\n  a: {}\n')).toBe(true)
    expect(isWorkflow('- uses: vpsorg/backup-action@v1\n  with:\n    mode: restore\n')).toBe(false)
  })

  it('the README has complete workflows (which actionlint checks) using the action at @v1', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const blocks = yamlBlocks(readme)
    // The complete workflow and the manual rollback; the other recipes are the lines that differ.
    expect(blocks.filter((block) => isWorkflow(block.text)).length).toBeGreaterThanOrEqual(2)
    for (const block of blocks) {
      for (const uses of block.text.match(/vpsorg\/backup-action@\S+/g) ?? []) {
        expect(uses).toBe('vpsorg/backup-action@v1')
      }
    }
  })
})

describe('action.yml against src/ (scripts/check-action.ts)', () => {
  it('declares the inputs of src/inputs/settings.ts INPUTS and the outputs of src/report/outputs.ts OUTPUTS', () => {
    expect(Object.keys(action.inputs)).toEqual([...INPUTS])
    expect(Object.keys(action.outputs)).toEqual([...OUTPUTS])
  })

  it('parseInputs reads every input of INPUTS, and no other', () => {
    const read = new Set<string>()
    const steps: Array<Record<string, string>> = [
      { mode: 'backup' },
      {
        mode: 'restore',
        backup_id: 'run:42',
        only_if_step_started: 'Deploy',
        github_token: 'ghs_x',
        health_url: 'https://shop.example/'
      }
    ]
    for (const values of steps) {
      const all: Record<string, string> = { api_token: 'vps_x', server_id: '1', ...values }
      parseInputs((name) => {
        read.add(name)
        return all[name] ?? ''
      }, context)
    }
    expect([...read].sort()).toEqual([...INPUTS].sort())
  })
})
