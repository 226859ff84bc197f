import { InputError } from '../common/errors.js'

/** The ledger's inputs (issue 22): the GitHub environment whose deployments record the deploys. */
export interface LedgerSettings {
  /** '' = no ledger: the action makes no Deployments API request. */
  environment: string
  /** backup: deploy a commit this action rolled back in `environment` (else refused). */
  allowRolledBack: boolean
}

/** GitHub's longest environment name. */
const MAX_ENVIRONMENT = 255

/**
 * environment and allow_rolled_back. `flag` reads a true/false input (inputs.ts's rule);
 * `githubToken` is what the ledger's requests are sent with.
 */
export function parseLedger(
  read: (name: 'environment') => string,
  flag: (name: 'allow_rolled_back') => boolean,
  mode: string,
  githubToken: string
): LedgerSettings {
  const text = read('environment')
  const environment = text.trim()
  if (environment && (/\p{Cc}/u.test(environment) || [...environment].length > MAX_ENVIRONMENT)) {
    throw new InputError(
      'environment',
      `must be the name of a GitHub environment (e.g. production), on one line, at most ${MAX_ENVIRONMENT} characters`,
      text
    )
  }
  const allowRolledBack = flag('allow_rolled_back')
  if (allowRolledBack && !(environment && mode === 'backup')) {
    throw new InputError(
      'allow_rolled_back',
      'is only for mode: backup with environment: it deploys a commit this action rolled back in that environment'
    )
  }
  if (environment && !githubToken) {
    throw new InputError(
      'github_token',
      'is required with environment: a token that may write deployments (deployments: write); the default is github.token'
    )
  }
  return { environment, allowRolledBack }
}
