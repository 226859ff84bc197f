import { type Scrub, neutralise } from './untrusted.js'

/** Where the core writes its log. Production: @actions/core; tests: an array. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warning(message: string): void
  /** Runs `fn` inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

/**
 * `inner`, with every message and group name scrubbed of the step's secrets (`scrub`: server and
 * network error text can quote one, in any encoding) and neutralised on its way (see
 * neutralise()): the log messages carry the server's text, and none of it may become a workflow
 * command. The action logs only through this.
 */
export function neutralising(inner: Logger, scrub: Scrub = (text) => text): Logger {
  const safe = (text: string): string => neutralise(scrub(text))
  return {
    debug: (message) => inner.debug(safe(message)),
    info: (message) => inner.info(safe(message)),
    warning: (message) => inner.warning(safe(message)),
    group: (name, fn) => inner.group(safe(name), fn)
  }
}
