import type { StateStore } from '../../src/runtime/state.js'

/** The runner's state in memory: what the main step saved, for the post step. */
export function memoryStore(initial: Record<string, string> = {}): StateStore & {
  saved: Record<string, string>
} {
  const saved = { ...initial }
  return {
    saved,
    get: (name) => saved[name] ?? '',
    save: (name, value) => void (saved[name] = value)
  }
}
