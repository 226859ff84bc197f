import type { StepEnd } from '../../src/report/ending.js'

/** A step's end in memory: its outputs, job summaries and failure lines. */
export interface MemoryEnd {
  end: StepEnd
  outputs: Record<string, string>
  summaries: string[]
  failures: string[]
}

/** `summaryFails`: the error writing the job summary throws (a runner's full disk, say). */
export function memoryEnd(summaryFails?: Error): MemoryEnd {
  const outputs: Record<string, string> = {}
  const summaries: string[] = []
  const failures: string[] = []
  const end: StepEnd = {
    setOutput: (name, value) => void (outputs[name] = value),
    writeSummary: async (markdown) => {
      if (summaryFails) throw summaryFails
      summaries.push(markdown)
    },
    setFailed: (line) => void failures.push(line)
  }
  return { end, outputs, summaries, failures }
}
