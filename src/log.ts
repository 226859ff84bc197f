/** Where the core writes its log. Production: @actions/core; tests: an array. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warning(message: string): void
  /** Runs `fn` inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}
