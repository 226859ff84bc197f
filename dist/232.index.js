export const id = 232;
export const ids = [232];
export const modules = {

/***/ 9232:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  findRunBackup: () => (/* binding */ findRunBackup),
  resolveRunBackups: () => (/* binding */ resolveRunBackups)
});

// EXTERNAL MODULE: ./lib/src/api-types.js
var api_types = __webpack_require__(7110);
// EXTERNAL MODULE: ./lib/src/description.js
var description = __webpack_require__(4524);
// EXTERNAL MODULE: ./lib/src/errors.js
var errors = __webpack_require__(5071);
// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js + 25 modules
var github = __webpack_require__(542);
;// CONCATENATED MODULE: ./lib/src/github.js


/** GitHub caps a run at 256 jobs: 3 pages of 100. More pages than this means a paging loop. */
const MAX_PAGES = 10;
/** What the GitHub token needs, named in every refusal. */
const PERMISSION = '`actions: read`';
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const github_text = (value) => (typeof value === 'string' ? value : null);
/** A value from GitHub, made one short plain line for the log. */
const oneLine = (value) => value
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
function toRun(data, runId) {
    const repository = isObject(data) && isObject(data.repository) ? data.repository.full_name : null;
    if (!isObject(data) || data.id !== runId || typeof repository !== 'string') {
        throw new errors/* ActionError */.lZ(`The GitHub API answered the request for run ${runId} with something that is not that run; nothing was restored.`);
    }
    return {
        id: runId,
        repository,
        htmlUrl: github_text(data.html_url) ?? undefined,
        status: github_text(data.status) ?? 'unknown',
        conclusion: github_text(data.conclusion)
    };
}
function toSteps(jobs) {
    return jobs.flatMap((job) => isObject(job) && Array.isArray(job.steps)
        ? job.steps.filter(isObject).map((step) => ({
            name: github_text(step.name) ?? '',
            status: github_text(step.status) ?? 'unknown',
            conclusion: github_text(step.conclusion),
            startedAt: github_text(step.started_at)
        }))
        : []);
}
/**
 * A step named `name` had started: it is running, or it has finished after running. A skipped
 * step did not run; one cancelled without a start time was cancelled before it was reached.
 */
function stepStarted(steps, name) {
    return steps.some((step) => step.name === name &&
        (step.status === 'in_progress' ||
            (step.status === 'completed' &&
                step.conclusion !== 'skipped' &&
                !(step.conclusion === 'cancelled' && !step.startedAt))));
}
/** One line for a failed GitHub API request: what, the status, GitHub's message, what to do. */
function failure(error, what, options) {
    if (options.signal.aborted)
        return new errors/* CancelledError */.cc();
    const { status, response } = (isObject(error) ? error : {});
    if (typeof status !== 'number' || response === undefined) {
        const reason = error instanceof Error ? oneLine(error.message) : 'no answer';
        return new errors/* ActionError */.lZ(`Could not ${what}: the GitHub API at ${options.apiUrl} did not answer (${reason}).`);
    }
    const message = isObject(response.data) ? github_text(response.data.message) : null;
    const detail = `HTTP ${status}${message ? `: ${oneLine(message)}` : ''}`;
    if (status === 403 || status === 404) {
        return new errors/* ActionError */.lZ(`Could not ${what}: ${detail}. github_token needs ${PERMISSION}: add it to the workflow's or the job's permissions (a 404 also means no such run in ${options.repository}).`);
    }
    if (status === 401) {
        return new errors/* ActionError */.lZ(`Could not ${what}: ${detail}. github_token was refused.`);
    }
    return new errors/* ActionError */.lZ(`Could not ${what}: ${detail}.`);
}
/** A reader of this repository's runs. Octokit is built here, only when a run is to be read. */
function gitHubReader(options) {
    const octokit = (0,github/* getOctokit */.Q)(options.token);
    const [owner = '', repo = ''] = options.repository.split('/');
    // Cancellation, or the step's timeout, ends a request GitHub is slow to answer.
    const request = () => ({
        signal: AbortSignal.any([
            options.signal,
            AbortSignal.timeout(Math.max(1, options.deadline - options.now()))
        ])
    });
    return {
        async getRun(runId) {
            const what = `read run ${runId} of ${options.repository} from the GitHub API`;
            try {
                const answer = await octokit.rest.actions.getWorkflowRun({
                    owner,
                    repo,
                    run_id: runId,
                    request: request()
                });
                return toRun(answer.data, runId);
            }
            catch (error) {
                throw error instanceof errors/* ActionError */.lZ ? error : failure(error, what, options);
            }
        },
        async listSteps(runId) {
            const what = `list the jobs of run ${runId} of ${options.repository} from the GitHub API`;
            const jobs = [];
            let pages = 0;
            try {
                for await (const page of octokit.paginate.iterator(octokit.rest.actions.listJobsForWorkflowRun, { owner, repo, run_id: runId, filter: 'latest', per_page: 100, request: request() })) {
                    if (++pages > MAX_PAGES) {
                        throw new errors/* ActionError */.lZ(`Could not ${what}: more than ${MAX_PAGES} pages of jobs.`);
                    }
                    jobs.push(...(Array.isArray(page.data) ? page.data : []));
                }
            }
            catch (error) {
                throw error instanceof errors/* ActionError */.lZ ? error : failure(error, what, options);
            }
            return toSteps(jobs);
        }
    };
}

// EXTERNAL MODULE: ./lib/src/fleet.js
var fleet = __webpack_require__(5454);
;// CONCATENATED MODULE: ./lib/src/run-backup.js





/** The attempt a tag names; 0 for a v1.0.0 tag, which names none. */
const attemptOf = (tag) => tag.attempt ?? 0;
/**
 * The completed backup that run `runId` of this repository made, of its newest attempt: among the
 * server's backups, those whose tag names this repository and that run, the highest attempt, then
 * the newest. Another repository's backups never match, whatever their run id.
 */
function findRunBackup(backups, runId, context) {
    return backups
        .map((backup) => ({ backup, tag: (0,description/* parseTag */.ED)(backup.description) }))
        .filter(({ backup, tag }) => backup.status === 'completed' &&
        (0,description/* isOwnRepository */.nc)(tag, context) &&
        tag.runId === String(runId))
        .sort((a, b) => attemptOf(b.tag) - attemptOf(a.tag) || (0,api_types/* newestFirst */.ll)(a.backup, b.backup))[0]
        ?.backup;
}
/** The run's page: GitHub's `html_url` when it is an https URL, else the one the context implies. */
function runUrl(context, runId, htmlUrl) {
    if (htmlUrl && URL.canParse(htmlUrl) && new URL(htmlUrl).protocol === 'https:')
        return htmlUrl;
    return `${context.serverUrl}/${context.repository}/actions/runs/${runId}`;
}
/**
 * only_if_step_started: reads the run and its steps through the GitHub API. True when the step had
 * started; false (with status `skipped` and the reason logged) when the server was never changed.
 */
async function stepHadStarted(rt, reader, ref) {
    const { context, log, outcome } = rt;
    const step = ref.onlyIfStepStarted;
    const run = await reader.getRun(ref.runId);
    outcome.run = { id: ref.runId, url: runUrl(context, ref.runId, run.htmlUrl) };
    if (run.repository.toLowerCase() !== context.repository.toLowerCase()) {
        throw new errors/* ActionError */.lZ(`Run ${ref.runId} belongs to ${oneLine(run.repository)}, not ${context.repository}: only a run of this repository can be rolled back; nothing was restored.`);
    }
    if (run.status !== 'completed') {
        throw new errors/* ActionError */.lZ(`Run ${ref.runId} is ${oneLine(run.status)}, not completed: '${step}' may still change the server, so nothing was restored. Roll it back once the run has ended.`);
    }
    if (stepStarted(await reader.listSteps(ref.runId), step)) {
        log.info(`Run ${ref.runId} had started '${step}': the server may have been changed.`);
        return true;
    }
    const ended = run.conclusion === 'cancelled'
        ? 'was cancelled'
        : `ended (${oneLine(run.conclusion ?? 'no conclusion')})`;
    outcome.skipped = `Run ${ref.runId} ${ended} before '${step}' started: the server was never changed; nothing was restored.`;
    log.info(outcome.skipped);
    outcome.status = 'skipped';
    return false;
}
/**
 * `backup_id: run:<run_id>`: for each server, the id of the backup that run made of it; or
 * undefined when there is nothing to do (restore: the step never started, status `skipped`). A
 * delete warns about a server with no such backup (status `not_found`) and leaves it out; a
 * restore with any such server fails before any restore is requested.
 */
async function resolveRunBackups(step, servers, ref, mode) {
    const { settings, context, log, outcome } = step;
    outcome.run ??= { id: ref.runId, url: runUrl(context, ref.runId) };
    if (ref.onlyIfStepStarted !== undefined) {
        const reader = gitHubReader({
            token: settings.githubToken,
            repository: context.repository,
            apiUrl: context.apiUrl,
            signal: step.signal,
            deadline: step.deadline,
            now: () => step.clock.now()
        });
        const started = await log.group(`Read run ${ref.runId} from GitHub`, () => stepHadStarted(step, reader, ref));
        if (!started) {
            for (const rt of servers)
                rt.outcome.status = 'skipped';
            return undefined;
        }
    }
    return (0,fleet/* valuesOf */.sm)(await (0,fleet/* phase */.Oi)(step, servers, `Find run ${ref.runId}'s backups`, (rt) => runBackupOf(rt, ref.runId, mode)), (id) => (id === undefined ? 'none' : `backup ${id}`));
}
/** The backup run `runId` made of the server: see resolveRunBackups. */
async function runBackupOf(rt, runId, mode) {
    const { settings, log } = rt;
    const backup = findRunBackup(await rt.client.listBackups(settings.serverId), runId, rt.context);
    if (backup) {
        log.info(`Run ${runId} made backup ${backup.id} of server ${settings.serverId}.`);
        return backup.id;
    }
    const none = `Run ${runId} made no completed backup of server ${settings.serverId}`;
    if (mode === 'restore')
        throw new errors/* ActionError */.lZ(`${none}; no restore was requested.`);
    log.warning(`${none}: nothing was deleted.`);
    rt.outcome.status = 'not_found';
    return undefined;
}


/***/ })

};
