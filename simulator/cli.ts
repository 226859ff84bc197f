/**
 * Runs the VPS.org API simulator in the foreground, e.g. in the background of a workflow:
 *
 *   node lib/simulator/cli.js --port 8080 --backup-seconds 5 --server 12345:web-server-01
 *
 * Several servers: --servers N (ids 12345, 12346, ..., named web-server-01, web-server-02, ...),
 * or --server repeated, each with its own settings after commas, falling back to the global ones:
 *
 *   --server 101:web --server 102:worker,backup=30 --server 103:db,backup=5,restore=10,fail
 *
 * (`backup=S` / `restore=S` its backup / restore seconds, `fail`: its next backup fails.)
 *
 * With --app (or --app-boot-seconds / --app-fault), each server also runs an app for health
 * checks, printed as APP_<id>_HEALTH_URL=... and APP_<id>_TCP_URL=... lines.
 *
 * Prints the API URL and token as VPSORG_API_URL=... / VPSORG_API_TOKEN=... lines, then one line
 * per request. Stops on SIGINT or SIGTERM. Bad flags: one error line on stderr, exit code 2.
 */
import { parseArgs } from 'node:util'
import { APP_FAULTS, type AppFault } from './app.js'
import { isEntry } from '../scripts/entry.js'
import { Simulator, type SimulatorOptions } from './server.js'
import { parseRate } from './throttle.js'
import { CAP_REFUSAL_SHAPES, type CapRefusalShape, type ServerSeed } from './types.js'

const USAGE =
  'usage: cli.js [--port N] [--host HOST] [--token TOKEN] [--backup-seconds S] ' +
  '[--restore-seconds S] [--page-size N] [--shuffle] [--account-backups N] [--page-drift] ' +
  '[--servers N | ' +
  '--server ID:NAME[,backup=S][,restore=S][,fail]...] ' +
  `[--app] [--app-boot-seconds S] [--app-fault ${APP_FAULTS.join('|')}] [--throttle RATE] ` +
  `[--cap-refusal ${CAP_REFUSAL_SHAPES.join('|')}]`

const HELP = `VPS.org API simulator (not the real API): prints VPSORG_API_URL=... and
VPSORG_API_TOKEN=..., then one line per request; stops on SIGINT or SIGTERM.

${USAGE}

  --port N              port to listen on (default 0: any free port)
  --host HOST           address to listen on (default 127.0.0.1)
  --token TOKEN         the API token (default vps_simulator_token)
  --backup-seconds S    how long a backup runs (default 2)
  --restore-seconds S   how long a restore runs (default 3)
  --page-size N         paginate lists, N per page (default: one page)
  --shuffle             lists in a random order
  --account-backups N   a large account: N backups of other servers in the account's lists
  --page-drift          a backup of another server is deleted between two page reads
  --servers N           N servers: ids 12345, 12346, ..., named web-server-01, web-server-02, ...
  --server ID:NAME[,backup=S][,restore=S][,fail]
                        a server (repeatable, instead of --servers; default one server 12345,
                        web-server-01), with its own backup / restore seconds (else the global
                        ones), and \`fail\`: its next backup fails. E.g. --server 101:web
                        --server 102:worker,backup=30 --server 103:db,backup=5,fail
  --app                 run an app per server for health checks (APP_<id>_HEALTH_URL=...)
  --app-boot-seconds S  how long each app takes to boot after a restore
  --app-fault F         the apps' fault: ${APP_FAULTS.join(', ')}
  --throttle RATE       DRF's throttle, every request counted: RATE as DRF writes it
                        (10/min, 100/hour, 5/s) or N/Ss (6/10s); one over it gets 429 and
                        Retry-After (the seconds until the oldest request leaves the window)
  --cap-refusal SHAPE   how an 11th manual backup is refused: ${CAP_REFUSAL_SHAPES.join(', ')}
                        (a detail; {"server_id": ["..."]}; a bare list ["..."])
  --help                this help`

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

const FIRST_SERVER_ID = 12345
const MAX_SERVERS = 1000

/** `ID:NAME[,backup=S][,restore=S][,fail]`: a server and its own settings. */
function server(value: string): ServerSeed {
  const [head = '', ...settings] = value.split(',')
  const match = /^(\d+):(.+)$/.exec(head)
  if (!match?.[1] || !match[2]) {
    throw new Error(`--server must look like ID:NAME[,backup=S][,restore=S][,fail], got "${value}"`)
  }
  const seed: ServerSeed = { id: integer('server', match[1], 1), name: match[2] }
  for (const setting of settings) {
    const timing = /^(backup|restore)=(.*)$/.exec(setting)
    if (setting === 'fail') seed.failNextBackup = true
    else if (timing?.[1] === 'backup') seed.backupDurationMs = seconds('server backup', timing[2]!)
    else if (timing?.[1] === 'restore') {
      seed.restoreDurationMs = seconds('server restore', timing[2]!)
    } else {
      throw new Error(
        `--server settings are backup=S, restore=S or fail, got "${setting}" in "${value}"`
      )
    }
  }
  return seed
}

/** The servers of --servers N or of the repeated --server; undefined for the default one. */
function servers(count: string | undefined, list: string[] | undefined): ServerSeed[] | undefined {
  if (count !== undefined && list !== undefined) {
    throw new Error('--servers and --server cannot be combined: use one or the other')
  }
  if (count !== undefined) {
    return Array.from({ length: integer('servers', count, 1, MAX_SERVERS) }, (_, index) => ({
      id: FIRST_SERVER_ID + index,
      name: `web-server-${String(index + 1).padStart(2, '0')}`
    }))
  }
  const seeds = list?.map(server)
  const twice = seeds?.find((seed, index) => seeds.findIndex((s) => s.id === seed.id) !== index)
  if (twice) throw new Error(`--server ${twice.id} is given twice`)
  return seeds
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
      'account-backups': { type: 'string' },
      'page-drift': { type: 'boolean' },
      servers: { type: 'string' },
      server: { type: 'string', multiple: true },
      app: { type: 'boolean' },
      'app-boot-seconds': { type: 'string' },
      'app-fault': { type: 'string' },
      throttle: { type: 'string' },
      'cap-refusal': { type: 'string' }
    }
  })
  const options: SimulatorOptions = {
    port: values.port === undefined ? 0 : integer('port', values.port, 0, 65535),
    host: values.host,
    token: values.token,
    shuffle: values.shuffle,
    pageDrift: values['page-drift'],
    servers: servers(values.servers, values.server)
  }
  if (values['account-backups'] !== undefined) {
    options.accountBackups = integer('account-backups', values['account-backups'], 0, 1_000_000)
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
  if (values.throttle !== undefined) {
    options.throttle = parseRate(values.throttle)
    if (!options.throttle) {
      throw new Error(
        `--throttle must be a rate such as 10/min, 100/hour, 5/s or 6/10s, got "${values.throttle}"`
      )
    }
  }
  const shape = values['cap-refusal']
  if (shape !== undefined && !CAP_REFUSAL_SHAPES.includes(shape as CapRefusalShape)) {
    throw new Error(`--cap-refusal must be one of ${CAP_REFUSAL_SHAPES.join(', ')}, got "${shape}"`)
  }
  options.capRefusal = shape as CapRefusalShape | undefined
  if (options.token === '') throw new Error('--token must not be empty')
  return options
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(HELP)
    return
  }
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

if (isEntry(import.meta.url)) await main()
