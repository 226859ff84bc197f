import { describe, expect, it } from 'vitest'
import { parseCliArgs } from '../../simulator/cli.js'

describe('CLI arguments', () => {
  it('turns flags into simulator options', () => {
    expect(
      parseCliArgs([
        '--port=8080',
        '--host',
        '0.0.0.0',
        '--token',
        'vps_x',
        '--backup-seconds',
        '1.5',
        '--restore-seconds',
        '0',
        '--page-size',
        '2',
        '--shuffle',
        '--server',
        '1:web',
        '--server',
        '2:db:replica'
      ])
    ).toEqual({
      port: 8080,
      host: '0.0.0.0',
      token: 'vps_x',
      backupDurationMs: 1500,
      restoreDurationMs: 0,
      pageSize: 2,
      shuffle: true,
      servers: [
        { id: 1, name: 'web' },
        { id: 2, name: 'db:replica' }
      ]
    })
    expect(parseCliArgs([])).toMatchObject({ port: 0, servers: undefined })
    expect(parseCliArgs(['--account-backups', '1000', '--page-drift'])).toMatchObject({
      accountBackups: 1000,
      pageDrift: true
    })
    expect(() => parseCliArgs(['--account-backups=x'])).toThrow(
      '--account-backups must be an integer from 0 to 1000000, got "x"'
    )
  })

  it('runs an app per server with --app, --app-boot-seconds or --app-fault', () => {
    expect(parseCliArgs([]).app).toBeUndefined()
    expect(parseCliArgs(['--app']).app).toEqual({ bootMs: undefined, fault: undefined })
    expect(parseCliArgs(['--app-boot-seconds', '2.5', '--app-fault', 'flap']).app).toEqual({
      bootMs: 2500,
      fault: 'flap'
    })
  })

  it('declares N servers with --servers N', () => {
    expect(parseCliArgs(['--servers', '3']).servers).toEqual([
      { id: 12345, name: 'web-server-01' },
      { id: 12346, name: 'web-server-02' },
      { id: 12347, name: 'web-server-03' }
    ])
    expect(parseCliArgs(['--servers', '12']).servers?.at(-1)).toEqual({
      id: 12356,
      name: 'web-server-12'
    })
  })

  it('gives a --server its own backup and restore seconds and a failing next backup', () => {
    expect(
      parseCliArgs([
        '--backup-seconds',
        '20',
        '--server',
        '101:web',
        '--server',
        '102:worker,backup=30',
        '--server',
        '103:db,restore=2.5,fail,backup=0'
      ])
    ).toMatchObject({
      backupDurationMs: 20000,
      servers: [
        { id: 101, name: 'web' },
        { id: 102, name: 'worker', backupDurationMs: 30000 },
        { id: 103, name: 'db', backupDurationMs: 0, restoreDurationMs: 2500, failNextBackup: true }
      ]
    })
    expect(parseCliArgs(['--server', '101:web']).servers?.[0]).toStrictEqual({
      id: 101,
      name: 'web'
    })
  })

  it.each([
    ['10/min', 10, 60_000],
    ['100/hour', 100, 3_600_000],
    ['5/s', 5, 1000],
    ['2/d', 2, 86_400_000],
    ['6/10s', 6, 10_000]
  ])('takes --throttle %s as DRF writes its rates', (rate, requests, windowMs) => {
    expect(parseCliArgs(['--throttle', rate]).throttle).toEqual({ requests, windowMs })
  })

  it('takes the shape of the cap refusal', () => {
    expect(parseCliArgs(['--cap-refusal', 'field']).capRefusal).toBe('field')
    expect(parseCliArgs([]).capRefusal).toBeUndefined()
  })

  it.each([
    [
      ['--throttle', '0/min'],
      '--throttle must be a rate such as 10/min, 100/hour, 5/s or 6/10s, got "0/min"'
    ],
    [
      ['--throttle', '10'],
      '--throttle must be a rate such as 10/min, 100/hour, 5/s or 6/10s, got "10"'
    ],
    [['--throttle', '10/0s'], 'got "10/0s"'],
    [['--throttle', '10/week'], 'got "10/week"'],
    [['--cap-refusal', 'html'], '--cap-refusal must be one of detail, field, list, got "html"'],
    [['--servers', '0'], '--servers must be an integer from 1 to 1000, got "0"'],
    [['--servers', '1001'], '--servers must be an integer from 1 to 1000, got "1001"'],
    [['--servers', 'x'], '--servers must be an integer from 1 to 1000, got "x"'],
    [['--servers', '2', '--server', '1:a'], '--servers and --server cannot be combined'],
    [['--server', '1:a', '--server', '1:b'], '--server 1 is given twice'],
    [['--server', '1:a,backup=x'], '--server backup must be a number of seconds >= 0, got "x"'],
    [['--server', '1:a,backup='], '--server backup must be a number of seconds >= 0, got ""'],
    [['--server', '1:a,restore=-1'], '--server restore must be a number of seconds >= 0'],
    [
      ['--server', '1:a,fail=yes'],
      '--server settings are backup=S, restore=S or fail, got "fail=yes"'
    ],
    [['--server', '1:a,'], '--server settings are backup=S, restore=S or fail, got ""'],
    [['--server', '1,backup=3'], '--server must look like ID:NAME[,backup=S][,restore=S][,fail]']
  ])('rejects %j with one line naming the flag', (args, message) => {
    expect(() => parseCliArgs(args)).toThrow(message)
  })

  it.each([
    [['--port', 'x']],
    [['--port', '70000']],
    [['--page-size', '0']],
    [['--backup-seconds', '-1']],
    [['--app-boot-seconds', 'x']],
    [['--app-fault', 'down']],
    [['--server', '12345']],
    [['--bogus']],
    [['extra']]
  ])('rejects %j', (args) => {
    expect(() => parseCliArgs(args)).toThrow()
  })
})
