/**
 * Everything the VPS.org API (or a proxy before it) sends is untrusted text. Two concerns live
 * here: making text safe for the runner's log (no workflow command can come out of it), and
 * removing the API token from text in any encoding a server may echo it in.
 */

/** Control, format (bidi overrides, zero-width), line and paragraph separator characters. */
const BREAKS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu

/**
 * Printable ASCII (space to `~`): no control, format or separator character. Text of only these
 * skips the Unicode property classes, which V8 builds when such a regex first runs (about half a
 * millisecond each at start-up, before the step's first request; `npm run bench`).
 */
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/** The text on one line: every control, format or separator character becomes a space. */
export function oneLine(text: string): string {
  return PRINTABLE_ASCII.test(text) ? text : text.replace(BREAKS, ' ')
}

/**
 * The text on one short line: white space folded to single spaces and trimmed, cut to `max`
 * characters (the last one then an ellipsis).
 */
export function shortLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** A JSON object (not null, not a list): what a server's answer is checked for before reading it. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** An absolute http:// or https:// URL (a proxy, a link to a web page), nothing else. */
export const isWebAddress = (value: string): boolean =>
  URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol)

/** A server's value if it is a string, else undefined. */
export const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined

/**
 * Text the runner cannot take for a workflow command: on one line; not starting with `::` (the
 * runner trims a line before it looks for `::`), and without `##[` (the legacy form, which the
 * runner reads anywhere in a line). Both are broken by a visible space.
 */
export function neutralise(text: string): string {
  return oneLine(text)
    .replace(/##\[/g, '## [')
    .replace(/^(\s*):(?=:)/, '$1: ')
}

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  lowbar: '_',
  underbar: '_',
  period: '.',
  hyphen: '-',
  dash: '-',
  minus: '-',
  colon: ':',
  sol: '/',
  num: '#',
  plus: '+',
  equals: '=',
  percnt: '%',
  commat: '@',
  tilde: '~',
  nbsp: ' '
}

function codePoint(code: number, original: string): string {
  return code <= 0x10ffff ? String.fromCodePoint(code) : original
}

/** Percent-decoded, or as written when it is not validly encoded. */
export function percentDecode(run: string): string {
  try {
    return decodeURIComponent(run)
  } catch {
    return run
  }
}

/** One round of decoding: compatibility forms, invisibles, HTML entities, %XX, \uXXXX and \xXX. */
function decodeOnce(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .replace(/&#x([0-9a-f]{1,6});?|&#(\d{1,7});?|&([a-z]+);/gi, (all, hex, dec, name) =>
      name === undefined
        ? codePoint(hex === undefined ? Number(dec) : parseInt(hex, 16), all)
        : (NAMED[String(name).toLowerCase()] ?? all)
    )
    .replace(/(?:%[0-9a-f]{2})+/gi, percentDecode)
    .replace(/\\u\{([0-9a-f]{1,6})\}|\\u([0-9a-f]{4})|\\x([0-9a-f]{2})/gi, (all, braced, u, x) =>
      codePoint(parseInt(braced ?? u ?? x, 16), all)
    )
}

/**
 * The text with every encoding above decoded, repeatedly (for `&amp;#95;` and the like).
 * `each` is applied to the text as written and after every round of decoding.
 */
export function canonical(
  text: string,
  each: (stage: string) => string = (stage) => stage
): string {
  let current = each(text)
  for (let round = 0; round < 5; round++) {
    const next = each(decodeOnce(current))
    if (next === current) break
    current = next
  }
  return current
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The forms of `secret` that survive no decoding: base64 and base64url at each of the three byte
 * alignments (only the characters that depend on the secret alone), and hex.
 */
function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret)
  const forms = [bytes.toString('hex')]
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes])
    const start = Math.ceil((8 * shift) / 6)
    const end = Math.floor((8 * padded.length) / 6)
    for (const encoding of ['base64', 'base64url'] as const) {
      forms.push(padded.toString(encoding).slice(start, end))
    }
  }
  return forms.filter((form) => form.length >= 8)
}

export type Scrub = (text: string) => string

/** One pattern for `secret`, its NFKC form and its encoded forms, in any case. */
function formsPattern(secret: string): RegExp {
  const forms = [...new Set([secret, secret.normalize('NFKC')]), ...encodedForms(secret)]
  return new RegExp(forms.map(escapeRegExp).join('|'), 'gi')
}

/**
 * A function that removes `secret` from a server's text: literally, in any case, and in the
 * encodings an echoing server or proxy uses (HTML entities, percent-encoding, JSON escapes,
 * full-width or zero-width tricks, base64, hex). Text that holds it in any form is returned
 * decoded, with the secret replaced by `***`; other text is returned as it is.
 *
 * The secret is masked at every stage of decoding, not only at the end: decoding a neighbour can
 * build an encoded form (`%37%36` before the rest of the token in hex) or break one up (`%76`
 * before it becomes `v`).
 */
export function scrubber(secret: string): Scrub {
  if (!secret) return (text) => text
  // Built for the first text to scrub, not when the step starts.
  let pattern: RegExp | undefined
  return (text) => {
    const forms = (pattern ??= formsPattern(secret))
    // Printable ASCII without `%`, `&` or a backslash has nothing to decode: one pass, no Unicode tables.
    if (PLAIN.test(text)) return text.replace(forms, '***')
    let found = false
    const masked = canonical(text, (stage) =>
      stage.replace(forms, () => {
        found = true
        return '***'
      })
    )
    return found ? masked : text
  }
}

/** Text that decodeOnce leaves as it is. */
const PLAIN = /^[\x20-\x24\x27-\x5b\x5d-\x7e]*$/

/**
 * scrubber() for every secret of `secrets` (the step's secret inputs), applied in turn; each
 * builds its pattern when it first scrubs a text, not when the step starts.
 */
export function scrubberOf(secrets: readonly string[]): Scrub {
  const scrubs = secrets.map(scrubber)
  return (text) => scrubs.reduce((current, scrub) => scrub(current), text)
}

/** Deeper than any object the action reads: what is nested deeper is dropped (null). */
const MAX_DEPTH = 32

/** Parsed JSON with `scrub` applied to every string in it (keys are not shown anywhere). */
export function scrubJson(value: unknown, scrub: Scrub, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value)
  if (typeof value !== 'object' || value === null) return value
  if (depth >= MAX_DEPTH) return null
  if (Array.isArray(value)) return value.map((item) => scrubJson(item, scrub, depth + 1))
  // fromEntries defines own properties: a "__proto__" key stays a plain key.
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, scrubJson(item, scrub, depth + 1)])
  )
}

/** A server's value, made one short plain line for the log (no workflow command in it). */
export const logLine = (value: string): string => shortLine(neutralise(value), 200)
