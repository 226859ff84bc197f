import type { Logger } from '../../src/common/log.js'

export interface LogLine {
  level: 'debug' | 'info' | 'warning' | 'group'
  message: string
}

/** A Logger that keeps every line in memory. */
export interface MemoryLogger extends Logger {
  readonly lines: LogLine[]
  /** The messages of one level. */
  of(level: LogLine['level']): string[]
  /** Every line, one per line, for `toContain` checks. */
  text(): string
}

export function memoryLogger(): MemoryLogger {
  const lines: LogLine[] = []
  return {
    lines,
    debug: (message) => void lines.push({ level: 'debug', message }),
    info: (message) => void lines.push({ level: 'info', message }),
    warning: (message) => void lines.push({ level: 'warning', message }),
    group: async (name, fn) => {
      lines.push({ level: 'group', message: name })
      return fn()
    },
    of: (level) => lines.filter((line) => line.level === level).map((line) => line.message),
    text: () => lines.map((line) => `${line.level}: ${line.message}`).join('\n')
  }
}
