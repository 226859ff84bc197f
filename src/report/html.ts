import { type Scrub, oneLine } from '../common/untrusted.js'

/** The most characters of one value the summary shows. */
const MAX_VALUE = 1000

/**
 * Escapes text for the HTML blocks the job summary is made of: scrubbed of the step's secrets, on
 * one line (a blank line would end the block and let Markdown through), at most MAX_VALUE
 * characters, and no character that is markup or Markdown.
 */
export function escapeHtml(text: string, scrub: Scrub = (t) => t): string {
  const chars = [...oneLine(scrub(text))]
  const line =
    chars.length > MAX_VALUE ? `${chars.slice(0, MAX_VALUE - 1).join('')}…` : chars.join('')
  return line.replace(/[&<>"'`|*_[\]\\]/g, (c) => `&#${c.charCodeAt(0)};`)
}
