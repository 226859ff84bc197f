import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  anyText,
  attempt,
  expectInputError,
  MAX,
  nearIntegers,
  PADDING,
  parse,
  positive,
  valid
} from '../../helpers/input-arbitraries.js'

/*
 * Property-based tests of server_id and backup_id (src/inputs/targets.ts), through parseInputs.
 */

describe('parseInputs, property-based: server_id and backup_id', () => {
  it('server_id and backup_id: exactly the plain decimals from 1 to 2^53 - 1 are accepted', () => {
    const candidate = fc.oneof(positive.map(String), nearIntegers, anyText)
    const target = fc.constantFrom('server_id', 'restore', 'delete')
    fc.assert(
      fc.property(candidate, target, (text, where) => {
        // Surrounding white space is the subject of the next test; separators of the one after.
        fc.pre(text === text.trim() && (where !== 'server_id' || !/[\s,]/.test(text)))
        const inputs =
          where === 'server_id'
            ? valid({ server_id: text })
            : valid({ mode: where, backup_id: text })
        const name = where === 'server_id' ? 'server_id' : 'backup_id'
        const plain = /^[1-9][0-9]*$/.test(text) && Number(text) <= MAX
        const latest = where === 'restore' && text.toLowerCase() === 'latest'
        const { settings, error } = attempt(inputs)
        if (plain) {
          const value =
            name === 'server_id'
              ? settings?.serverIds[0]
              : (settings?.target as { backupId?: number } | undefined)?.backupId
          expect(value).toBe(Number(text))
        } else if (!latest) {
          expect(expectInputError(error).input).toBe(name)
        }
      }),
      { numRuns: 3000 }
    )
  })

  // A backup id ` 12 ` is invalid. parseInputs gets the raw values (main.ts reads inputs with
  // trimWhitespace: false), so it may not trim it. In server_id, white space separates ids: a
  // padded id is that one id.
  it('backup_id: a padded number (` 12 `) is rejected; server_id: it is that server', () => {
    const pad = fc.constantFrom(' ', '\t', '  ', '\u00a0', '\u3000', '\ufeff', '\n')
    const paddedNumber = fc
      .tuple(fc.option(pad, { nil: '' }), positive, fc.option(pad, { nil: '' }))
      .filter(([a, , b]) => a !== '' || b !== '')
      .map(([a, n, b]) => `${a}${n}${b}`)
    fc.assert(
      fc.property(
        paddedNumber,
        fc.constantFrom('server_id', 'restore', 'delete'),
        (text, where) => {
          if (where === 'server_id') {
            const { serverIds } = parse(valid({ server_id: text }))
            expect(serverIds).toEqual([Number(text.trim())])
            return
          }
          const { error } = attempt(valid({ mode: where, backup_id: text }))
          expect(expectInputError(error).input).toBe('backup_id')
        }
      ),
      { numRuns: 500 }
    )
  })

  it('server_id: up to 50 distinct ids, with any separators, are those servers in order', () => {
    const separator = fc.constantFrom(',', ', ', ' ,', ' , ', ' ', '  ', '\n', '\t', ',\n', '\r\n')
    const list = fc
      .uniqueArray(positive, { minLength: 1, maxLength: 50 })
      .chain((ids) =>
        fc.tuple(
          fc.constant(ids),
          fc.array(separator, { minLength: ids.length, maxLength: ids.length }),
          PADDING
        )
      )
    fc.assert(
      fc.property(list, ([ids, separators, pad]) => {
        const text = ids.map((id, i) => (i ? `${separators[i]}${id}` : `${id}`)).join('')
        const settings = parse(valid({ server_id: `${pad}${text}${pad}\n` }))
        expect(settings.serverIds).toEqual(ids)
      }),
      { numRuns: 500 }
    )
  })

  it('backup_id object: read in any key order, returned in server_id order; any difference refused', () => {
    const fleet = fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), {
      minLength: 1,
      maxLength: 50
    })
    const entries = fleet.chain((ids) =>
      fc.tuple(
        fc.constant(ids),
        fc.array(fc.tuple(positive, fc.boolean()), {
          minLength: ids.length,
          maxLength: ids.length
        }),
        fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }),
        fc.constantFrom('same', 'missing', 'extra')
      )
    )
    fc.assert(
      fc.property(entries, ([ids, backups, keyOrder, change]) => {
        const backupOf = new Map(ids.map((id, i) => [id, backups[i]![0]]))
        const keys = change === 'missing' ? keyOrder.slice(1) : keyOrder
        const fields = keys.map((id) => {
          const [backup, asString] = backups[ids.indexOf(id)]!
          return `"${id}":${asString ? `"${backup}"` : backup}`
        })
        if (change === 'extra') fields.push('"10001":1')
        const inputs = valid({
          server_id: ids.join(', '),
          mode: 'restore',
          backup_id: `{${fields.join(',')}}`
        })
        const { settings, error } = attempt(inputs)
        if (change === 'same') {
          const { backupId } = settings!.target as unknown as { backupId: Map<number, number> }
          expect([...backupId]).toEqual(ids.map((id) => [id, backupOf.get(id)]))
        } else {
          const message = expectInputError(error).message
          expect(message).toContain('must name exactly the servers of server_id')
          expect(message).toContain(
            change === 'extra' ? 'not in server_id: 10001' : `missing ${keyOrder[0]}`
          )
        }
      }),
      { numRuns: 500 }
    )
  })
})
