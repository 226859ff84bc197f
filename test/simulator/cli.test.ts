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
  })

  it('runs an app per server with --app, --app-boot-seconds or --app-fault', () => {
    expect(parseCliArgs([]).app).toBeUndefined()
    expect(parseCliArgs(['--app']).app).toEqual({ bootMs: undefined, fault: undefined })
    expect(parseCliArgs(['--app-boot-seconds', '2.5', '--app-fault', 'flap']).app).toEqual({
      bootMs: 2500,
      fault: 'flap'
    })
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
