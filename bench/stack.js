// The floor of the stack the action is built on (issue 13), for the start-up benchmark
// (scripts/bench.ts bundles it with ncc): @actions/core and @actions/github's `context` and
// `getOctokit`, which bundle @actions/http-client, undici and Octokit, setting one output.
import * as core from '@actions/core'
import { context, getOctokit } from '@actions/github'

core.setOutput('x', `${context.runId} ${typeof getOctokit}`)
