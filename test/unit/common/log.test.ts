import { describe, expect, it } from 'vitest'
import { neutralising } from '../../../src/common/log.js'
import { scrubberOf } from '../../../src/common/untrusted.js'
import { memoryLogger } from '../../helpers/memory-logger.js'

describe('the step’s log (neutralising)', () => {
  const TOKEN = 'vps_live_0123456789abcdef'
  const PASSWORD = 's3cret-pass'

  it('scrubs every secret, in any encoding, from every line and group name, then neutralises it', async () => {
    const inner = memoryLogger()
    const log = neutralising(inner, scrubberOf([TOKEN, PASSWORD]))
    // A network error quoting a secret, as a TLS stack might.
    log.warning(`certificate for ${Buffer.from(TOKEN).toString('hex')} is not valid`)
    log.info(`::error::${encodeURIComponent(PASSWORD)}&#x0a;x`)
    log.debug(`Bearer ${TOKEN.toUpperCase()}`)
    await log.group(`Check ${PASSWORD}`, async () => undefined)
    expect(inner.lines).toEqual([
      { level: 'warning', message: 'certificate for *** is not valid' },
      { level: 'info', message: ': :error::*** x' },
      { level: 'debug', message: 'Bearer ***' },
      { level: 'group', message: 'Check ***' }
    ])
  })

  it('leaves text without a secret as it is, and neutralises it without a scrubber', () => {
    const inner = memoryLogger()
    neutralising(inner, scrubberOf([TOKEN])).info('Backup 501: 50% done & ready')
    neutralising(inner).info('::set-output name=x::1')
    expect(inner.of('info')).toEqual(['Backup 501: 50% done & ready', ': :set-output name=x::1'])
  })
})
