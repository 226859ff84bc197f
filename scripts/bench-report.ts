/**
 * What the benchmark's sections share (scripts/bench.ts and the modules of its sections): the
 * Markdown they print and keep for bench/results.md, and its formatting.
 */

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE

const out: string[] = []
/** Prints Markdown and keeps it for bench/results.md. */
export function emit(...lines: string[]): void {
  for (const line of lines) {
    console.log(line)
    out.push(line)
  }
}
/** Everything emitted so far, for bench/results.md. */
export const emitted = (): string => `${out.join('\n')}\n`
export const progress = (text: string): boolean => process.stderr.write(`[bench] ${text}\n`)

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** 0.08 s, 2.05 s, 58.9 s, 5 min, 2 h: for labels and lateness. */
export function seconds(ms: number): string {
  const s = ms / SECOND
  return Math.abs(s) < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`
}

export function durationLabel(ms: number): string {
  if (ms >= HOUR) return `${ms / HOUR} h`
  if (ms >= MINUTE) return `${ms / MINUTE} min`
  return `${ms / SECOND} s`
}

export const verdict = (met: boolean, detail: string): string =>
  `${met ? 'met' : '**MISSED**'} (${detail})`

/** The issue's allowance: noticed within max(2 s, 10% of T), never more than 60 s late. */
export const allowance = (targetMs: number): number =>
  Math.min(MINUTE, Math.max(2 * SECOND, targetMs / 10))

/** A Markdown table laid out the way prettier lays it out, so that format:check stays clean. */
export function table(header: string[], rows: string[][], right: boolean[] = []): string[] {
  const widths = header.map((cell, i) =>
    Math.max(3, cell.length, ...rows.map((row) => (row[i] ?? '').length))
  )
  const line = (cells: string[]): string =>
    `| ${cells
      .map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(' | ')} |`
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`
  return [line(header), rule, ...rows.map(line)]
}

/** A row of a table, and the checks its figures are held to. */
export interface Measured {
  row: string[]
  checks: string[]
}

/** Measures each case in turn (never two at once): the rows of their table, and all their checks. */
export async function measureEach<T>(
  cases: readonly T[],
  measure: (c: T) => Promise<Measured>
): Promise<{ rows: string[][]; checks: string[] }> {
  const rows: string[][] = []
  const checks: string[] = []
  for (const c of cases) {
    const { row, checks: made } = await measure(c)
    rows.push(row)
    checks.push(...made)
  }
  return { rows, checks }
}
