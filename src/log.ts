import { neutralise } from './untrusted.js'

/** Where the core writes its log. Production: @actions/core; tests: an array. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warning(message: string): void
  /** Runs `fn` inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

/**
 * `inner`, with every message and group name neutralised on its way (see neutralise()): the log
 * messages carry the server's text, and none of it may become a workflow command. The action logs
 * only through this.
 */
export function neutralising(inner: Logger): Logger {
  return {
    debug: (message) => inner.debug(neutralise(message)),
    info: (message) => inner.info(neutralise(message)),
    warning: (message) => inner.warning(neutralise(message)),
    group: (name, fn) => inner.group(neutralise(name), fn)
  }
}
