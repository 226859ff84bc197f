import { describe, expect, it } from 'vitest'
import { TOKEN, inputError, parse } from '../../helpers/inputs.js'

/** What a step acts on (src/inputs/targets.ts), through parseInputs: server_id, backup_id and its forms, the step names of run:<run_id>. */

const GITHUB_TOKEN = 'ghs_S3cr3tJobToken_do_not_print'

describe('parseInputs: server_id', () => {
  it.each(['1', '12345', '9007199254740991'])('accepts %j', (text) => {
    expect(parse({ server_id: text }).serverIds).toEqual([Number(text)])
  })

  it.each(['0', '-1', '1.5', '1e3', '0x10', '12abc', '9007199254740993', '+5', '007'])(
    'rejects %j, naming the expected form',
    (text) => {
      expect(inputError({ server_id: text }, 'server_id')).toBe(
        `Input 'server_id' has an item that is not a server id (a positive whole number; separate several ids with commas, spaces or new lines), got ${JSON.stringify(text)}.`
      )
    }
  )

  it('is required', () => {
    const message = inputError({ server_id: '' }, 'server_id')
    expect(message).toMatch(/required/)
    expect(message).toContain('server id')
  })
})

describe('parseInputs: mode and backup_id', () => {
  it('rejects an unknown mode, listing the valid ones', () => {
    const message = inputError({ mode: 'nuke' }, 'mode')
    expect(message).toContain('backup')
    expect(message).toContain('restore')
    expect(message).toContain('delete')
    expect(message).toContain('"nuke"')
  })

  it.each(['rollback', 'ROLLBACK', 'Rollback'])('treats %j as an alias of restore', (mode) => {
    expect(parse({ mode, backup_id: '501' }).target).toEqual({ mode: 'restore', backupId: 501 })
  })

  it('parses delete with an id', () => {
    expect(parse({ mode: 'delete', backup_id: '501' }).target).toEqual({
      mode: 'delete',
      backupId: 501
    })
  })

  it.each(['restore', 'delete'])('requires backup_id with mode %s', (mode) => {
    const message = inputError({ mode }, 'backup_id')
    expect(message).toMatch(/required/)
    expect(message).toContain(mode)
  })

  it.each(['latest', 'LATEST', 'Latest'])('accepts %j for restore', (id) => {
    expect(parse({ mode: 'restore', backup_id: id }).target).toEqual({
      mode: 'restore',
      backupId: 'latest'
    })
  })

  it('refuses latest for delete', () => {
    const message = inputError({ mode: 'delete', backup_id: 'latest' }, 'backup_id')
    expect(message).toContain('a backup id')
    expect(message).not.toContain('or latest')
  })

  it.each(['0', '-3', 'abc', '1.0', '12 13', '1e2', 'latest2'])(
    'rejects backup_id %j for restore',
    (id) => {
      expect(inputError({ mode: 'restore', backup_id: id }, 'backup_id')).toBe(
        `Input 'backup_id' must be a backup id, latest, run:<run_id> or a JSON object of backup ids, got ${JSON.stringify(id)}.`
      )
    }
  )
})

describe('parseInputs: backup_id: run:<run_id>', () => {
  it('restore and delete take run:<run_id>', () => {
    // Strictly: without only_if_step_started, the reference has no step names, not undefined ones.
    expect(parse({ mode: 'restore', backup_id: 'run:9876543210' }).target).toStrictEqual({
      mode: 'restore',
      backupId: { runId: 9876543210 }
    })
    expect(parse({ mode: 'delete', backup_id: 'run:7' }).target).toEqual({
      mode: 'delete',
      backupId: { runId: 7 }
    })
  })

  it.each(['run:', 'run:0', 'run:-1', 'run:1.5', 'run: 12', 'run:12 ', 'run:1e3', 'run:abc'])(
    'refuses %j: run: needs a positive whole number',
    (text) => {
      expect(inputError({ mode: 'restore', backup_id: text }, 'backup_id')).toBe(
        `Input 'backup_id' must be run:<run_id> with a positive whole number, got ${JSON.stringify(text)}.`
      )
    }
  )

  it('names run:<run_id> among the accepted forms', () => {
    expect(inputError({ mode: 'restore', backup_id: 'x' }, 'backup_id')).toContain(
      'a backup id, latest, run:<run_id> or a JSON object of backup ids'
    )
    expect(inputError({ mode: 'delete', backup_id: 'x' }, 'backup_id')).toContain(
      'a backup id, run:<run_id> or a JSON object of backup ids'
    )
  })
})

describe('parseInputs: only_if_step_started and github_token', () => {
  it('goes with a restore of run:<run_id>; the name is trimmed', () => {
    const settings = parse({
      mode: 'restore',
      backup_id: 'run:55',
      only_if_step_started: ' Deploy to production ',
      github_token: GITHUB_TOKEN
    })
    expect(settings.target).toEqual({
      mode: 'restore',
      backupId: { runId: 55, onlyIfStepStarted: 'Deploy to production' }
    })
    expect(settings.githubToken).toBe(GITHUB_TOKEN)
  })

  it.each([
    [{ mode: 'restore', backup_id: '42' }],
    [{ mode: 'restore', backup_id: 'latest' }],
    [{ mode: 'delete', backup_id: 'run:55' }],
    [{ mode: 'backup' }]
  ])('is refused without a restore of run:<run_id>: %j', (values) => {
    expect(inputError({ ...values, only_if_step_started: 'Deploy' }, 'only_if_step_started')).toBe(
      "Input 'only_if_step_started' is only for mode: restore with backup_id: run:<run_id>."
    )
  })

  it.each([' ', '\t', 'Deploy\nrm -rf', 'Deploy\u0007'])(
    'is refused when blank or not one line: %j',
    (text) => {
      expect(
        inputError(
          { mode: 'restore', backup_id: 'run:55', only_if_step_started: text },
          'only_if_step_started'
        )
      ).toContain('must be the name of the deploy step, on one line')
    }
  )

  it('needs a github_token, and says which permission it needs', () => {
    const message = inputError(
      { mode: 'restore', backup_id: 'run:55', only_if_step_started: 'Deploy', github_token: ' ' },
      'github_token'
    )
    expect(message).toContain('actions: read')
  })

  it('unless_step_started: with only_if_step_started, trimmed', () => {
    const settings = parse({
      mode: 'restore',
      backup_id: 'run:55',
      only_if_step_started: 'Deploy',
      unless_step_started: ' Roll back ',
      github_token: GITHUB_TOKEN
    })
    expect(settings.target).toEqual({
      mode: 'restore',
      backupId: { runId: 55, onlyIfStepStarted: 'Deploy', unlessStepStarted: 'Roll back' }
    })
  })

  it.each([
    [
      { mode: 'restore', backup_id: '42' },
      'is only for mode: restore with backup_id: run:<run_id>'
    ],
    [
      { mode: 'delete', backup_id: 'run:55' },
      'is only for mode: restore with backup_id: run:<run_id>'
    ],
    [{ mode: 'restore', backup_id: 'run:55' }, 'needs only_if_step_started'],
    [
      {
        mode: 'restore',
        backup_id: 'run:55',
        only_if_step_started: 'Deploy',
        unless_step_started: ' '
      },
      "must be the name of the run's own rollback step, on one line"
    ]
  ])('unless_step_started is refused: %j', (values, message) => {
    expect(
      inputError({ unless_step_started: 'Roll back', ...values }, 'unless_step_started')
    ).toContain(`Input 'unless_step_started' ${message}`)
  })

  it('never repeats the GitHub token, whatever input it was given to', () => {
    const message = inputError(
      { mode: 'restore', backup_id: `run:${GITHUB_TOKEN}`, github_token: GITHUB_TOKEN },
      'backup_id'
    )
    expect(message).toBe("Input 'backup_id' must be run:<run_id> with a positive whole number.")
  })
})

describe('parseInputs: several servers in server_id', () => {
  it.each(['101, 102', '101,102', '101 102', '101\n102\n', ' 101 ,\n 102\t', '\t101\r\n\n102'])(
    'takes %j as servers 101 and 102',
    (text) => {
      const settings = parse({ server_id: text })
      expect(settings.serverIds).toEqual([101, 102])
    }
  )

  it('keeps the order given', () => {
    expect(parse({ server_id: '103, 101,102' }).serverIds).toEqual([103, 101, 102])
  })

  it.each(['12', ' 12 ', '12\n'])('one id %j is one server, as before', (text) => {
    const settings = parse({ server_id: text })
    expect(settings.serverIds).toEqual([12])
  })

  const ids = (n: number): string => Array.from({ length: n }, (_, i) => 101 + i).join(',')

  it('takes at most 50 servers', () => {
    expect(parse({ server_id: ids(50) }).serverIds).toHaveLength(50)
    expect(inputError({ server_id: ids(51) }, 'server_id')).toBe(
      "Input 'server_id' lists 51 servers; at most 50 are allowed."
    )
  })

  it.each(['101, 102, 101', '101 101'])('refuses a server listed twice: %j', (text) => {
    expect(inputError({ server_id: text }, 'server_id')).toBe(
      "Input 'server_id' lists server 101 twice: name each server once."
    )
  })

  it.each(['101,,102', '101, ,102', ',101', '101,', '101,\n,102', ','])(
    'refuses an empty item: %j',
    (text) => {
      expect(inputError({ server_id: text }, 'server_id')).toBe(
        `Input 'server_id' has an empty item between commas: separate server ids with one comma, spaces or new lines, got ${JSON.stringify(text)}.`
      )
    }
  )

  it.each([
    ['101, abc, 102', 'abc'],
    ['101;102', '101;102'],
    ['101, 0', '0'],
    ['101\n102x', '102x']
  ])('names the item that is not a server id in %j', (text, item) => {
    expect(inputError({ server_id: text }, 'server_id')).toBe(
      `Input 'server_id' has an item that is not a server id (a positive whole number; separate several ids with commas, spaces or new lines), got ${JSON.stringify(item)}.`
    )
  })

  it('is required, in one form or the other', () => {
    expect(inputError({ server_id: ' \n ' }, 'server_id')).toBe(
      "Input 'server_id' is required: one server id or several (separated by commas, spaces or new lines) with mode: backup."
    )
  })

  it('never shows a token given among the ids', () => {
    expect(inputError({ server_id: `101, ${TOKEN}` }, 'server_id')).toBe(
      "Input 'server_id' has an item that is not a server id (a positive whole number; separate several ids with commas, spaces or new lines)."
    )
  })

  it('mode: verify takes a list too (only shown), or none', () => {
    const verify = { mode: 'verify', api_token: '', health_url: 'https://app.example/' }
    expect(parse({ ...verify, server_id: '101 102' }).serverIds).toEqual([101, 102])
    const none = parse({ ...verify, server_id: '' })
    expect(none.serverIds).toEqual([])
    inputError({ ...verify, server_id: '101,,102' }, 'server_id')
  })
})

describe('parseInputs: backup_id with several servers', () => {
  const fleet = { server_id: '101, 102' }

  it.each(['restore', 'delete'])(
    'mode: %s takes the backup_ids object, in server_id order',
    (mode) => {
      const { target } = parse({
        server_id: '102, 101',
        mode,
        backup_id: '{"101":501,"102":502}'
      })
      expect(target.mode).toBe(mode)
      const backupId = (target as { backupId: unknown }).backupId
      expect(backupId).toBeInstanceOf(Map)
      expect([...(backupId as Map<number, number>)]).toEqual([
        [102, 502],
        [101, 501]
      ])
    }
  )

  it.each([
    '{"101":"501","102":"502"}',
    '{ "102": 502, "101": 501 }\n',
    '\n{\n  "101": 501,\n  "102": 502\n}\n',
    '{"101":501,"\\u0031\\u0030\\u0032":502}'
  ])('accepts %j', (text) => {
    const { target } = parse({ ...fleet, mode: 'restore', backup_id: text })
    expect(target).toEqual({
      mode: 'restore',
      backupId: new Map([
        [101, 501],
        [102, 502]
      ])
    })
  })

  it('one server takes the object too', () => {
    expect(parse({ server_id: '101', mode: 'delete', backup_id: '{"101":501}' }).target).toEqual({
      mode: 'delete',
      backupId: new Map([[101, 501]])
    })
  })

  it.each([
    ['{"101":501}', 'missing 102'],
    ['{"101":501,"102":502,"103":503}', 'not in server_id: 103'],
    ['{"101":501,"103":503}', 'missing 102; not in server_id: 103'],
    ['{}', 'missing 101, 102'],
    ['{"103":503,"104":504}', 'missing 101, 102; not in server_id: 103, 104']
  ])('refuses %j, naming the difference', (text, difference) => {
    expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
      `Input 'backup_id' must name exactly the servers of server_id: ${difference}.`
    )
  })

  const MAP_FORM =
    'the backup step\'s backup_ids output (a JSON object from server id to backup id: {"101":501,"102":502})'

  it.each(['{101:501}', '{"101":501', '{"101":501,}', "{'101':501}", '{"101":501} x'])(
    'refuses JSON that is not valid: %j',
    (text) => {
      expect(inputError({ ...fleet, mode: 'delete', backup_id: text }, 'backup_id')).toBe(
        `Input 'backup_id' is not valid JSON: pass ${MAP_FORM}, got ${JSON.stringify(text)}.`
      )
    }
  )

  it.each(['{"101":{"id":501},"102":502}', '{"101":[501],"102":502}'])(
    'refuses a nested value: %j',
    (text) => {
      expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
        "Input 'backup_id' maps server 101 to an object or a list: each value must be a backup id (a positive whole number)."
      )
    }
  )

  it.each([
    ['1.5', '1.5'],
    ['0', '0'],
    ['-501', '-501'],
    ['"abc"', 'abc'],
    ['"0501"', '0501'],
    ['" 501"', ' 501'],
    ['null', 'null'],
    ['true', 'true'],
    ['9007199254740993', '9007199254740992'],
    ['1e400', 'Infinity']
  ])('refuses the value %s', (value, shown) => {
    const text = `{"101":${value},"102":502}`
    expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
      `Input 'backup_id' maps server 101 to a value that is not a backup id (a positive whole number), got ${JSON.stringify(shown)}.`
    )
  })

  it.each(['web', '0101', '', ' 101', '-1', '1.5'])('refuses the key %j', (key) => {
    const text = JSON.stringify({ [key]: 501, 102: 502 })
    expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
      `Input 'backup_id' has a key that is not a server id (a positive whole number, in quotes), got ${JSON.stringify(key)}.`
    )
  })

  it.each(['{"101":501,"102":502,"101":503}', '{"101":501,"102":502,"\\u0031\\u0030\\u0031":501}'])(
    'refuses a server named twice: %j',
    (text) => {
      expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
        "Input 'backup_id' names server 101 twice: name each server once."
      )
    }
  )

  it('names the server named twice even when the value JSON drops is a list of strings with colons', () => {
    // JSON.parse keeps the last value of a key: the first is never checked as a backup id.
    const text = '{"101":["a",":","b",":"],"102":502,"101":503}'
    expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
      "Input 'backup_id' names server 101 twice: name each server once."
    )
  })

  it('reads keys as JSON strings, not strings inside the values', () => {
    // A value holding `"101":` is refused as a value, never read as a second key.
    expect(
      inputError(
        { ...fleet, mode: 'restore', backup_id: '{"101":"\\"101\\":","102":502}' },
        'backup_id'
      )
    ).toContain('maps server 101 to a value that is not a backup id')
  })

  it.each([
    ['restore', `${MAP_FORM}, latest or run:<run_id>`],
    ['delete', `${MAP_FORM} or run:<run_id>`]
  ])('mode: %s refuses a single backup id with several servers', (mode, instead) => {
    expect(inputError({ ...fleet, mode, backup_id: '501' }, 'backup_id')).toBe(
      `Input 'backup_id' is a single backup id (501), but server_id lists 2 servers: pass ${instead}.`
    )
  })

  it('takes latest and run:<run_id> for every server', () => {
    expect(parse({ ...fleet, mode: 'restore', backup_id: 'latest' }).target).toEqual({
      mode: 'restore',
      backupId: 'latest'
    })
    expect(parse({ ...fleet, mode: 'delete', backup_id: 'run:55' }).target).toEqual({
      mode: 'delete',
      backupId: { runId: 55 }
    })
  })

  it('only_if_step_started still needs run:<run_id>', () => {
    const values = {
      ...fleet,
      mode: 'restore',
      backup_id: '{"101":501,"102":502}',
      only_if_step_started: 'Deploy',
      github_token: GITHUB_TOKEN
    }
    expect(inputError(values, 'only_if_step_started')).toBe(
      "Input 'only_if_step_started' is only for mode: restore with backup_id: run:<run_id>."
    )
  })

  it.each([
    [`{"${TOKEN}":501}`, 'has a key that is not a server id (a positive whole number, in quotes)'],
    [
      `{"101":"${TOKEN}"}`,
      'maps server 101 to a value that is not a backup id (a positive whole number)'
    ],
    [`{${TOKEN}}`, `is not valid JSON: pass ${MAP_FORM}`]
  ])('never shows a token given in the object: %#', (text, expected) => {
    expect(inputError({ server_id: '101', mode: 'restore', backup_id: text }, 'backup_id')).toBe(
      `Input 'backup_id' ${expected}.`
    )
  })
})
