export const id = 52;
export const ids = [52];
export const modules = {

/***/ 52:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   ROLLED_BACK: () => (/* binding */ ROLLED_BACK),
/* harmony export */   openLedger: () => (/* binding */ openLedger)
/* harmony export */ });
/* harmony import */ var _common_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1635);
/* harmony import */ var _common_untrusted_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2888);
/* harmony import */ var _runtime_fleet_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4533);
/* harmony import */ var _runtime_outcome_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(6925);




/** A description this action sets, and the quarantine recognises. */
const ROLLED_BACK = 'Rolled back';
/** Time the ledger's last requests get when the step's own deadline has passed (a timed-out restore). */
const CLOSING_MS = 20_000;
const shortSha = (sha) => sha.slice(0, 7);
/** `backup 501` or `backups 501, 502`. */
const backupsText = (ids) => `backup${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`;
/**
 * Opens the ledger of the step `rt`, its requests sent through `connect`'s Deployments API. For a
 * backup, first the quarantine: throws an ActionError when the commit's newest deployment in the
 * environment was rolled back by this action, unless allow_rolled_back or a re-run of that very run.
 */
async function openLedger(rt, connect) {
    const api = connect({
        token: rt.settings.githubToken,
        repository: rt.context.repository,
        apiUrl: rt.context.apiUrl,
        signal: rt.signal,
        // The last records (a restore that timed out, say) get CLOSING_MS past the step's deadline.
        deadline: rt.deadline + CLOSING_MS,
        clock: rt.clock,
        random: rt.random,
        log: rt.log,
        dispatcher: rt.dispatcher
    });
    const { settings, context, outcome } = rt;
    const { environment } = settings;
    const report = {
        environment,
        url: `${context.serverUrl}/${context.repository}/deployments/${encodeURIComponent(environment)}`
    };
    (0,_runtime_outcome_js__WEBPACK_IMPORTED_MODULE_3__/* .recordLedger */ .DB)(outcome, report);
    const scrub = (0,_common_untrusted_js__WEBPACK_IMPORTED_MODULE_1__/* .scrubberOf */ .Oo)([settings.apiToken, settings.githubToken]);
    const runUrl = `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}`;
    let broken = false;
    /** Runs a request of the ledger; its failure is one warning, and the ledger stops. */
    const request = async (work) => {
        if (broken)
            return undefined;
        try {
            return await work();
        }
        catch (error) {
            broken = true;
            if (error instanceof _common_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .CancelledError */ .cc || rt.signal.aborted)
                return undefined;
            rt.log.warning(`The deploy ledger of ${environment} is not kept: ${scrub(error.message)} The step goes on as without environment.`);
            return undefined;
        }
    };
    const setStatus = async (deployment, status) => {
        const done = await request(async () => {
            await api.setStatus(deployment, {
                ...status,
                description: scrub(status.description),
                logUrl: runUrl
            });
            return true;
        });
        if (!done)
            return;
        report.deploymentId = deployment;
        report.state = status.state;
        rt.log.info(`Deployment ${deployment} of ${environment}: ${status.state} (${(0,_common_untrusted_js__WEBPACK_IMPORTED_MODULE_1__/* .logLine */ .BP)(status.description)}).`);
    };
    const thisRun = (d) => d.payload?.run_id === Number(context.runId);
    if (settings.target.mode === 'backup')
        await quarantine(rt, api, request);
    return {
        async close(failure) {
            const { target } = settings;
            if (target.mode === 'backup') {
                const servers = (0,_runtime_fleet_js__WEBPACK_IMPORTED_MODULE_2__/* .perServer */ .ZZ)(outcome, settings.serverIds);
                if (failure !== undefined)
                    return;
                if (!servers.every(([, o]) => o.backup?.status === 'completed')) {
                    rt.log.info(`No deployment of ${environment} is recorded: the backup has not completed.`);
                    return;
                }
                const backupIds = Object.fromEntries(servers.map(([id, o]) => [String(id), o.backup.id]));
                const id = await request(() => api.create(context.sha, environment, {
                    action: 'vpsorg/backup-action',
                    run_id: Number(context.runId),
                    run_attempt: context.runAttempt,
                    backup_ids: backupIds
                }));
                if (id === undefined)
                    return;
                report.deploymentId = id;
                const ids = servers.map(([, o]) => o.backup.id);
                await setStatus(id, {
                    state: 'in_progress',
                    description: `Deploying ${shortSha(context.sha)}; ${backupsText(ids)} taken before it`
                });
                return;
            }
            if (target.mode === 'verify') {
                const deployment = (await request(() => api.list(environment, context.sha)))?.find(thisRun);
                if (deployment === undefined) {
                    if (!broken) {
                        rt.log.warning(`No deployment of ${shortSha(context.sha)} by run ${context.runId} in ${environment} (a backup step with environment creates it): nothing was recorded.`);
                    }
                    return;
                }
                const { checks } = settings.health;
                const health = outcome.health;
                if (failure === undefined) {
                    if (!checks.length) {
                        rt.log.warning(`No app check ran (health_url is empty): deployment ${deployment.id} of ${environment} is recorded as successful.`);
                    }
                    await setStatus(deployment.id, {
                        state: 'success',
                        description: checks.length
                            ? `Deployed: the app is healthy (${checks.length} check${checks.length > 1 ? 's' : ''})`
                            : 'Deployed; no app check ran'
                    });
                    return;
                }
                // The health checks' chunk (main.ts loaded it for verify), not a copy of it in this one.
                const { unhealthyReason } = await __webpack_require__.e(/* import() */ 124).then(__webpack_require__.bind(__webpack_require__, 1124));
                await setStatus(deployment.id, {
                    state: 'failure',
                    description: health?.healthy === false
                        ? `The app is not healthy: ${unhealthyReason(health)}`
                        : `Verify failed: ${failure.message}`
                });
                return;
            }
            if (target.mode === 'restore')
                await rolledBack(failure, target.backupId);
        }
    };
    /**
     * A restore (of backup_id `asked`): the deployment of a restored backup gets `failure`, Rolled
     * back ….
     */
    async function rolledBack(failure, asked) {
        if (outcome.status === 'skipped')
            return;
        const restored = (0,_runtime_fleet_js__WEBPACK_IMPORTED_MODULE_2__/* .perServer */ .ZZ)(outcome, settings.serverIds).flatMap(([server, o]) => {
            const id = o.backup?.id ??
                (asked instanceof Map ? asked.get(server) : typeof asked === 'number' ? asked : undefined);
            return id === undefined ? [] : [[server, id]];
        });
        if (!restored.length)
            return;
        const deployments = await request(() => api.list(environment));
        if (deployments === undefined)
            return;
        const deployment = deployments.find((d) => restored.some(([server, id]) => d.payload?.backup_ids[String(server)] === id));
        const ids = restored.map(([, id]) => id);
        if (deployment === undefined) {
            rt.log.warning(`No deployment of ${environment} names ${backupsText(ids)} (among its newest ${deployments.length}): the rollback is not recorded.`);
            return;
        }
        const health = outcome.health?.healthy;
        const how = failure === undefined && !outcome.restored
            ? 'restore requested, not waited for'
            : !outcome.restored
                ? 'restore failed'
                : health === false
                    ? 'restored, app unhealthy'
                    : health === true
                        ? 'restored and healthy'
                        : 'restored, no app check';
        await setStatus(deployment.id, {
            state: 'failure',
            description: `${ROLLED_BACK} to ${backupsText(ids)}: ${how}`
        });
    }
}
/**
 * Before a backup: the commit's newest deployment in the environment, if this action rolled it
 * back, refuses the backup (an ActionError), unless allow_rolled_back or this is a re-run of the
 * very run whose deploy was rolled back (then a warning). Another commit is never read.
 */
async function quarantine(rt, api, request) {
    const { settings, context } = rt;
    const { environment } = settings;
    const newest = (await request(() => api.list(environment, context.sha)))?.[0];
    if (newest === undefined || newest.sha !== context.sha)
        return;
    const status = await request(() => api.latestStatus(newest.id));
    if (status?.state !== 'failure' || !status.description.startsWith(ROLLED_BACK))
        return;
    const backup = /\bbackups? ([\d, ]*\d)/.exec(status.description)?.[1] ?? 'unknown';
    // GitHub's text: shown only as a web page's address, on one plain line.
    const by = (0,_common_untrusted_js__WEBPACK_IMPORTED_MODULE_1__/* .isWebAddress */ .d3)(status.logUrl) ? (0,_common_untrusted_js__WEBPACK_IMPORTED_MODULE_1__/* .logLine */ .BP)(status.logUrl) : 'a run';
    const what = `Commit ${shortSha(context.sha)} was rolled back in ${(0,_common_untrusted_js__WEBPACK_IMPORTED_MODULE_1__/* .logLine */ .BP)(environment)} by ${by} (restored backup ${backup})`;
    if (settings.allowRolledBack) {
        rt.log.warning(`${what}; deploying it again, as allow_rolled_back: true asks.`);
        return;
    }
    if (context.runAttempt > 1 && newest.payload?.run_id === Number(context.runId)) {
        rt.log.warning(`${what}; this re-run (attempt ${context.runAttempt}) of run ${context.runId} deploys it again.`);
        return;
    }
    throw new _common_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ActionError */ .lZ(`${what}: it is not deployed again. Push a fix or a revert, or set allow_rolled_back: true to deploy it anyway. Nothing was backed up.`);
}


/***/ })

};
