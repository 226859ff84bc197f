const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000 }
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/

/**
 * Parses `900` (seconds), `90s`, `15m`, `1h` or a combination such as `1h30m`.
 * Returns milliseconds, or undefined when the text is not such a duration.
 */
export function parseDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const match = DURATION.exec(text)
  if (!match || text === '') return undefined
  const [, h, m, s] = match
  return [h, m, s].reduce(
    (total, value, i) => total + Number(value ?? 0) * UNIT_MS['hms'[i] as string]!,
    0
  )
}

/** Longer than any step can wait (a self-hosted job runs at most 5 days): not worth its digits. */
const LONGEST_SHOWN_MS = 1000 * 3_600_000

/**
 * `95000` → `1m35s`; `3600000` → `1h`; `1500` → `1.5s`. A server's figure can be anything: from
 * 1000h up, Infinity and NaN included, `over 1000h`.
 */
export function formatDuration(ms: number): string {
  if (!(ms < LONGEST_SHOWN_MS)) return 'over 1000h'
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`
  const total = Math.round(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`
}
