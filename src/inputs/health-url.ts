import { formatDuration } from '../common/duration.js'
import { InputError } from '../common/errors.js'
import { percentDecode } from '../common/untrusted.js'
import {
  CONFIRM_INTERVAL_MS,
  type HealthCheck,
  type HealthSettings,
  type InputName,
  type InputReader,
  type Target
} from './settings.js'
import { duration, parsePositiveInteger, parseUrl } from './values.js'

/** The user-info of a URL-like line (`scheme://user:pass@…`), found even if the URL is invalid. */
const USER_INFO = /^\s*[a-z][a-z\d+.-]*:\/\/([^/?#\s]*)@/i

/**
 * A health_url line as it may be printed, valid URL or not: what comes before its last `@`, where
 * user-info would be, is left out (only a leading `scheme://` stays).
 */
function shown(line: string): string {
  const at = line.lastIndexOf('@')
  if (at < 0) return line
  const scheme = /^[a-z][a-z\d+.-]*:\/\//i.exec(line)?.[0] ?? ''
  return `${scheme}***${line.slice(at)}`
}

/**
 * What must be masked in health_url before anything is printed: each line's whole user-info and
 * its password, as written and decoded, whether the URL parser or a plain reading finds it.
 */
export function healthUrlSecrets(text: string): string[] {
  const secrets = new Set<string>()
  const password = (written: string): void => {
    if (!written) return
    secrets.add(written)
    secrets.add(percentDecode(written))
  }
  for (const line of text.split('\n')) {
    const info = USER_INFO.exec(line)?.[1]
    if (info) {
      secrets.add(info)
      if (info.includes(':')) password(info.slice(info.indexOf(':') + 1))
    }
    if (URL.canParse(line.trim())) password(new URL(line.trim()).password)
  }
  return [...secrets]
}

/** One line of health_url (`number`: its line in the input, for messages). */
function healthCheck(line: string, number: number, tokens: readonly TokenInput[]): HealthCheck {
  // Checked on the text as written, in every encoding the scrubber knows: the line is never shown.
  for (const { input, scrub } of tokens) {
    if (scrub(line) !== line) {
      throw new InputError(
        'health_url',
        `line ${number} holds the ${input} (in its query, path, fragment or user-info, as written or encoded): a check is sent to the app, which must never get a token; remove it`
      )
    }
  }
  const expected = `line ${number} must be one http://, https:// or tcp://host:port URL (one check per line)`
  const url = parseUrl('health_url', expected, line, shown(line))
  const { username, password } = url
  url.username = ''
  url.password = ''
  if (url.protocol === 'tcp:') {
    const port = parsePositiveInteger(url.port)
    if (!url.hostname || port === undefined) {
      throw new InputError(
        'health_url',
        `line ${number} is a tcp:// check without a port: write tcp://host:port`,
        shown(url.href)
      )
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    return { kind: 'tcp', target: `tcp://${url.host}`, host, port }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError('health_url', expected, shown(url.href))
  }
  return {
    kind: 'http',
    target: url.href,
    credentials:
      username || password
        ? { username: percentDecode(username), password: percentDecode(password) }
        : undefined
  }
}

/** A token input, with what finds it in a text in any encoding (untrusted.ts). */
export interface TokenInput {
  input: 'api_token' | 'github_token'
  scrub: (text: string) => string
}

/**
 * Refuses settings whose checks can never pass: `threshold` rounds in a row need
 * (threshold − 1) × CONFIRM_INTERVAL_MS after the first, within health_timeout and, in verify
 * mode, within the step's `timeout`.
 */
function leavesRoom(limits: Array<[InputName, string, number]>, threshold: number): void {
  const needMs = (threshold - 1) * CONFIRM_INTERVAL_MS
  for (const [input, text, ms] of limits) {
    if (ms <= needMs) {
      throw new InputError(
        input,
        `must be longer than the ${formatDuration(needMs)} that health_threshold: ${threshold} needs (its rounds after the first come ${formatDuration(CONFIRM_INTERVAL_MS)} apart): raise ${input} or lower health_threshold`,
        text
      )
    }
  }
}

export function health(
  read: InputReader,
  target: Target,
  rollbackOnFailure: boolean,
  stepTimeout: { text: string; ms: number },
  tokens: readonly TokenInput[],
  ledger: boolean
): Omit<HealthSettings, 'watchMs'> {
  const checks: HealthCheck[] = []
  read('health_url')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim()) checks.push(healthCheck(line.trim(), i + 1, tokens))
    })
  const { mode } = target
  // With environment, verify without checks records the deploy as successful (modes/ledger.ts).
  if (mode === 'verify' && !checks.length && !ledger) {
    throw new InputError(
      'health_url',
      'is required with mode: verify (unless environment is set): one http://, https:// or tcp://host:port URL per line'
    )
  }
  const used = mode === 'restore' || mode === 'verify' || (mode === 'backup' && rollbackOnFailure)
  if (checks.length && !used) {
    throw new InputError(
      'health_url',
      'is used only with mode: restore, mode: verify, or rollback_on_failure: true (by the automatic rollback)'
    )
  }
  const contains = read('health_contains')
  if (contains && !checks.some((check) => check.kind === 'http')) {
    throw new InputError('health_contains', 'needs an http:// or https:// check in health_url')
  }
  const thresholdText = read('health_threshold').trim() || '2'
  const threshold = parsePositiveInteger(thresholdText)
  if (threshold === undefined || threshold > 20) {
    throw new InputError('health_threshold', 'must be a whole number from 1 to 20', thresholdText)
  }
  const timeoutText = read('health_timeout').trim() || '5m'
  const timeoutMs = duration('health_timeout', timeoutText)
  if (checks.length) {
    const limits: Array<[InputName, string, number]> = [['health_timeout', timeoutText, timeoutMs]]
    // verify does nothing but the checks: the step's timeout bounds them too.
    if (mode === 'verify') limits.push(['timeout', stepTimeout.text, stepTimeout.ms])
    leavesRoom(limits, threshold)
  }
  return { checks, contains, timeoutMs, threshold }
}
