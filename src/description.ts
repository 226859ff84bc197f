import type { RunContext } from './context.js'

/** The API's limit on a backup description. */
export const MAX_DESCRIPTION = 255

/**
 * Every backup this action creates ends with a tag naming the repository and the workflow run,
 * e.g. `[gha:acme/shop#9876543210]`. Retention prunes only backups whose tag names the same
 * repository; a re-run of the same workflow run finds the backup its first attempt made.
 */
const TAG = /\[gha:([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)#(\d+)\]$/

export interface Tag {
  repository: string
  runId: string
}

function tagOf(context: RunContext): string {
  return `[gha:${context.repository}#${context.runId}]`
}

export function parseTag(description: string | null | undefined): Tag | undefined {
  const match = TAG.exec(description ?? '')
  return match ? { repository: match[1]!, runId: match[2]! } : undefined
}

export function isOwnRepository(tag: Tag | undefined, context: RunContext): boolean {
  return tag !== undefined && tag.repository.toLowerCase() === context.repository.toLowerCase()
}

function defaultDescription(context: RunContext): string {
  const sha = context.sha ? `@${context.sha.slice(0, 7)}` : ''
  return `Pre-deployment backup of ${context.repository}${sha} (run ${context.runId}, attempt ${context.runAttempt})`
}

/** Removes control and format characters (bidi overrides too) and folds white space, so the text is one safe line. */
function sanitize(text: string): string {
  return text
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The longest start of `text` within `length` UTF-16 units that splits no character. */
function cut(text: string, length: number): string {
  let end = 0
  for (const char of text) {
    if (end + char.length > length) break
    end += char.length
  }
  return text.slice(0, end)
}

/**
 * The description sent to the API: the user's text (or the default), sanitized, shortened so that
 * it and the tag fit in 255 characters, then the tag.
 */
export function composeDescription(
  text: string,
  context: RunContext
): { description: string; truncated: boolean } {
  const tag = tagOf(context)
  const room = MAX_DESCRIPTION - tag.length - 1
  const clean = sanitize(text) || defaultDescription(context)
  const truncated = clean.length > room
  const body = truncated ? `${cut(clean, room - 1).trimEnd()}…` : clean
  return { description: `${body} ${tag}`, truncated }
}
