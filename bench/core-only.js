// The floor of our stack for the start-up benchmark (scripts/bench.ts bundles it with ncc):
// @actions/core alone, which bundles @actions/http-client and undici, setting one output.
import * as core from '@actions/core'

core.setOutput('x', '1')
