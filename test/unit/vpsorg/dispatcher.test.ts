import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ActionError } from '../../../src/common/errors.js'
import { dispatcherFor } from '../../../src/vpsorg/dispatcher.js'

/** The action's dispatcher (src/vpsorg/dispatcher.ts): a plain Agent, or the proxy of the environment. */

const agents: Dispatcher[] = []
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()))
})

describe('dispatcherFor', () => {
  function quiet(): void {
    // EnvHttpProxyAgent prints an "experimental" warning.
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
  }

  it('uses a plain Agent without proxy variables', () => {
    const dispatcher = dispatcherFor({ NO_PROXY: 'localhost', HTTPS_PROXY: '' })
    agents.push(dispatcher)
    expect(dispatcher).toBeInstanceOf(Agent)
    expect(dispatcher).not.toBeInstanceOf(EnvHttpProxyAgent)
  })

  it.each(['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'])(
    'uses EnvHttpProxyAgent when %s is set',
    (name) => {
      quiet()
      const dispatcher = dispatcherFor({ [name]: 'http://proxy.internal:3128' })
      agents.push(dispatcher)
      expect(dispatcher).toBeInstanceOf(EnvHttpProxyAgent)
    }
  )

  it.each([
    ['HTTPS_PROXY', 'proxy.internal:3128'],
    ['http_proxy', 'not a url'],
    ['HTTP_PROXY', 'socks5://proxy.internal:1080']
  ])('refuses a bad %s, naming it and not its value', (name, value) => {
    let caught: unknown
    try {
      agents.push(dispatcherFor({ [name]: value }))
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ActionError)
    const message = (caught as Error).message
    expect(message).toMatch(new RegExp(`^The environment variable ${name} is not a proxy URL`))
    expect(message).not.toContain(value)
  })
})

describe('dispatcherFor', () => {
  it('refuses a proxy whose scheme only ends in http', () => {
    expect(() => dispatcherFor({ HTTPS_PROXY: 'xhttps://proxy.example:8080' })).toThrow(ActionError)
  })
})
