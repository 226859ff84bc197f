import { createHash } from 'node:crypto'
import type { RunContext } from './context.js'
import { PRINTABLE_ASCII } from '../common/untrusted.js'

/** The API's limit on a backup description. */
export const MAX_DESCRIPTION = 255

/**
 * Every backup this action creates ends with a tag naming the repository, the workflow run, the
 * attempt, the step and this execution of it, e.g. `[gha:acme/shop#9876543210/2/1a2b3c4d/9f8e7d6c]`:
 * `<step>` is the first 8 hex characters of sha256(`<GITHUB_JOB>/<GITHUB_ACTION>`), the same in
 * every attempt of the run; `<nonce>` is random for every execution of the step. Retention prunes
 * only backups whose tag names the same repository; a re-run finds the backup an earlier attempt
 * of the same step made; a create whose answer was lost is reconciled by the nonce alone.
 * Backups made by v1.0.0 carry the short form `[gha:acme/shop#9876543210]`, still recognised.
 */
const TAG =
  /\[gha:([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)#(\d+)(?:\/(\d+)\/([0-9a-f]{8})\/([0-9a-f]{8}))?\]$/

export interface Tag {
  repository: string
  runId: string
  /** The run attempt that made the backup; absent in the v1.0.0 form. */
  attempt?: number
  /** The step key: sha256(`<job>/<action>`), 8 hex characters; absent in the v1.0.0 form. */
  step?: string
  /** The execution of the step that made the backup; absent in the v1.0.0 form. */
  nonce?: string
}

/** The step's key, the same in every attempt of the run: sha256(`<job>/<action>`), 8 hex. */
export function stepKey(context: RunContext): string {
  return createHash('sha256').update(`${context.job}/${context.action}`).digest('hex').slice(0, 8)
}

function tagOf(context: RunContext): string {
  const { repository, runId, runAttempt, nonce } = context
  return `[gha:${repository}#${runId}/${runAttempt}/${stepKey(context)}/${nonce}]`
}

export function parseTag(description: string | null | undefined): Tag | undefined {
  const match = TAG.exec(description ?? '')
  if (!match) return undefined
  const [, repository, runId, attempt, step, nonce] = match as unknown as string[]
  const tag: Tag = { repository: repository!, runId: runId! }
  return attempt === undefined ? tag : { ...tag, attempt: Number(attempt), step, nonce }
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
  return (PRINTABLE_ASCII.test(text) ? text : text.replace(/[\p{Cc}\p{Cf}]+/gu, ' '))
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
