import type { RunContext } from '../github/context.js'
import { composeDescription } from '../github/description.js'
import { InputError } from '../common/errors.js'
import { scrubber } from '../common/untrusted.js'
import { type TokenInput, health, healthUrlSecrets } from './health-url.js'
import { DEFAULT_API_URL, type InputReader, type Mode, type Settings } from './settings.js'
import { dryRun } from './dry-run.js'
import { parseLedger } from './ledger.js'
import { serverIds, target } from './targets.js'
import { apiUrl, boolean, duration, keep, pollInterval, required } from './values.js'
import { withWatch } from './watch.js'

const MODES: Record<string, Mode> = {
  backup: 'backup',
  restore: 'restore',
  rollback: 'restore',
  delete: 'delete',
  verify: 'verify'
}
/** What an HTTP header value can carry of a token: printable ASCII, no space or line break. */
const TOKEN = /^[\x21-\x7e]+$/

/**
 * Every secret among the inputs, for the runner to mask before anything is printed: the tokens,
 * and health_url's credentials.
 */
export function secretInputs(read: InputReader): string[] {
  const tokens = [read('api_token').trim(), read('github_token').trim()].filter(Boolean)
  return [...tokens, ...healthUrlSecrets(read('health_url').trim())]
}

/**
 * Parses every input, or throws one InputError naming the first bad one. `read` returns the raw
 * value (untrimmed). An error never repeats the token, even if it was given to another input.
 */
export function parseInputs(read: InputReader, context: RunContext): Settings {
  const apiToken = read('api_token').trim()
  if (apiToken && !TOKEN.test(apiToken)) {
    throw new InputError(
      'api_token',
      'must be a VPS.org API token: printable ASCII characters without spaces or line breaks (check the secret; its value is not shown)'
    )
  }
  const githubToken = read('github_token').trim()
  try {
    return parse(read, context, apiToken, githubToken)
  } catch (error) {
    const message = error instanceof InputError ? error.message.toLowerCase() : ''
    if (
      error instanceof InputError &&
      [apiToken, githubToken].some((token) => token && message.includes(token.toLowerCase()))
    ) {
      throw new InputError(error.input, error.expected)
    }
    throw error
  }
}

function parse(
  read: InputReader,
  context: RunContext,
  apiToken: string,
  githubToken: string
): Settings {
  const modeText = read('mode').trim().toLowerCase() || 'backup'
  const mode = MODES[modeText]
  if (!mode) {
    throw new InputError(
      'mode',
      'must be one of backup, restore (or rollback), delete, verify',
      modeText
    )
  }
  // verify makes no VPS.org request: it needs neither the token nor the server.
  const verify = mode === 'verify'
  if (!verify)
    required(read, 'api_token', `a VPS.org API token (pass it from a secret) with mode: ${mode}`)
  const servers = serverIds(
    verify
      ? read('server_id')
      : required(
          read,
          'server_id',
          `one server id or several (separated by commas, spaces or new lines) with mode: ${mode}`
        )
  )
  const keepBackups = keep(read('keep_backups').trim() || '0')
  const pollText = read('poll_interval').trim()
  // Only a backup sends a description: other modes skip composing it (and its hash).
  const { description, truncated } =
    mode === 'backup'
      ? composeDescription(read('description'), context)
      : { description: '', truncated: false }
  const rollbackOnFailure = boolean(read, 'rollback_on_failure', false)
  const parsedTarget = target(read, mode, githubToken, servers)
  const ledger = parseLedger(read, (name) => boolean(read, name, false), mode, githubToken)
  const timeoutText = read('timeout').trim() || '30m'
  const timeoutMs = duration('timeout', timeoutText)
  const tokens: TokenInput[] = []
  if (apiToken) tokens.push({ input: 'api_token', scrub: scrubber(apiToken) })
  if (githubToken) tokens.push({ input: 'github_token', scrub: scrubber(githubToken) })
  return {
    ...ledger,
    target: parsedTarget,
    apiToken,
    githubToken,
    apiUrl: apiUrl(read('api_url').trim() || DEFAULT_API_URL),
    serverIds: servers,
    description,
    descriptionTruncated: truncated,
    wait: boolean(read, 'wait', true),
    timeoutMs,
    keepBackups,
    rollbackOnFailure,
    pollIntervalMs: pollText ? pollInterval(pollText) * 1000 : undefined,
    health: withWatch(
      read,
      mode,
      health(
        read,
        parsedTarget,
        rollbackOnFailure,
        { text: timeoutText, ms: timeoutMs },
        tokens,
        ledger.environment !== ''
      ),
      { text: timeoutText, ms: timeoutMs },
      duration
    ),
    dryRun: dryRun(mode, boolean(read, 'dry_run', false))
  }
}
