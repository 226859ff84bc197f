import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici'
import { ActionError } from '../common/errors.js'
import { isWebAddress } from '../common/untrusted.js'

/**
 * The proxy URL in the first of `names` that is set, checked: a bad one fails naming the variable
 * (not its value, which may hold credentials).
 */
function proxyUrl(env: NodeJS.ProcessEnv, names: [string, string]): string | undefined {
  const name = names.find((n) => env[n])
  if (!name) return undefined
  const value = env[name]!
  if (!isWebAddress(value)) {
    throw new ActionError(
      `The environment variable ${name} is not a proxy URL the action can use: expected http://host:port or https://host:port (with user:password@ if the proxy needs them).`
    )
  }
  return value
}

/**
 * undici's EnvHttpProxyAgent, given HTTPS_PROXY, HTTP_PROXY and NO_PROXY from `env` (lower case
 * first, as curl does). It is created only when a proxy is configured, because it prints an
 * "experimental" warning.
 */
export function dispatcherFor(env: NodeJS.ProcessEnv): Dispatcher {
  const httpProxy = proxyUrl(env, ['http_proxy', 'HTTP_PROXY'])
  const httpsProxy = proxyUrl(env, ['https_proxy', 'HTTPS_PROXY'])
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? ''
  return httpProxy || httpsProxy
    ? new EnvHttpProxyAgent({ httpProxy, httpsProxy, noProxy })
    : new Agent()
}
