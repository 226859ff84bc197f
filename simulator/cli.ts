/**
 * Runs the VPS.org API simulator in the foreground, e.g. in the background of a workflow:
 *
 *   node lib/simulator/cli.js --port 8080 --backup-seconds 5 --server 12345:web-server-01
 *
 * With --app (or --app-boot-seconds / --app-fault), each server also runs an app for health
 * checks, printed as APP_<id>_HEALTH_URL=... and APP_<id>_TCP_URL=... lines.
 *
 * Prints the API URL and token as VPSORG_API_URL=... / VPSORG_API_TOKEN=... lines, then one line
 * per request. Stops on SIGINT or SIGTERM. Bad flags: one error line on stderr, exit code 2.
 */
import { parseArgs } from 'node:util'
import { APP_FAULTS, type AppFault } from './app.js'
import { Simulator, type SimulatorOptions } from './server.js'

const USAGE =
  'usage: cli.js [--port N] [--host HOST] [--token TOKEN] [--backup-seconds S] ' +
  '[--restore-seconds S] [--page-size N] [--shuffle] [--server ID:NAME]... ' +
  `[--app] [--app-boot-seconds S] [--app-fault ${APP_FAULTS.join('|')}]`

function integer(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new Error(`--${flag} must be an integer from ${min} to ${max}, got "${value}"`)
  }
  return n
}

function seconds(flag: string, value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new Error(`--${flag} must be a number of seconds >= 0, got "${value}"`)
  }
  return n * 1000
}

function server(value: string): { id: number; name: string } {
  const match = /^(\d+):(.+)$/.exec(value)
  if (!match?.[1] || !match[2]) throw new Error(`--server must look like ID:NAME, got "${value}"`)
  return { id: integer('server', match[1], 1), name: match[2] }
}

/** Turns the command line into simulator options; throws an Error with a one-line message. */
export function parseCliArgs(args: string[]): SimulatorOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'backup-seconds': { type: 'string' },
      'restore-seconds': { type: 'string' },
      'page-size': { type: 'string' },
      shuffle: { type: 'boolean' },
      server: { type: 'string', multiple: true },
      app: { type: 'boolean' },
      'app-boot-seconds': { type: 'string' },
      'app-fault': { type: 'string' }
    }
  })
  const options: SimulatorOptions = {
    port: values.port === undefined ? 0 : integer('port', values.port, 0, 65535),
    host: values.host,
    token: values.token,
    shuffle: values.shuffle,
    servers: values.server?.map(server)
  }
  if (values['backup-seconds'] !== undefined) {
    options.backupDurationMs = seconds('backup-seconds', values['backup-seconds'])
  }
  if (values['restore-seconds'] !== undefined) {
    options.restoreDurationMs = seconds('restore-seconds', values['restore-seconds'])
  }
  if (values['page-size'] !== undefined) {
    options.pageSize = integer('page-size', values['page-size'], 1)
  }
  const boot = values['app-boot-seconds']
  const fault = values['app-fault']
  if (fault !== undefined && !APP_FAULTS.includes(fault as AppFault)) {
    throw new Error(`--app-fault must be one of ${APP_FAULTS.join(', ')}, got "${fault}"`)
  }
  if (values.app || boot !== undefined || fault !== undefined) {
    options.app = {
      bootMs: boot === undefined ? undefined : seconds('app-boot-seconds', boot),
      fault: fault as AppFault | undefined
    }
  }
  if (options.token === '') throw new Error('--token must not be empty')
  return options
}

async function main(): Promise<void> {
  let options: SimulatorOptions
  try {
    options = parseCliArgs(process.argv.slice(2))
  } catch (error) {
    console.error(`vpsorg simulator: ${(error as Error).message}. ${USAGE}`)
    process.exitCode = 2
    return
  }
  const simulator = await Simulator.start({ ...options, log: (line) => console.log(line) })
  console.log('VPS.org API simulator listening')
  console.log(`VPSORG_API_URL=${simulator.url}`)
  console.log(`VPSORG_API_TOKEN=${simulator.token}`)
  for (const { id } of options.app ? (options.servers ?? [{ id: 12345 }]) : []) {
    console.log(`APP_${id}_HEALTH_URL=${simulator.app(id).healthUrl}`)
    console.log(`APP_${id}_TCP_URL=${simulator.app(id).tcpUrl}`)
  }
  const stop = (signal: string): void => {
    console.log(`VPS.org API simulator stopping (${signal})`)
    void simulator.close()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (import.meta.main) await main()
