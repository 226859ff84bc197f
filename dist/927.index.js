export const id = 927;
export const ids = [927];
export const modules = {

/***/ 927:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CONFIRM_INTERVAL_MS: () => (/* binding */ CONFIRM_INTERVAL_MS),
/* harmony export */   awaitHealthy: () => (/* binding */ awaitHealthy),
/* harmony export */   checkHealth: () => (/* binding */ checkHealth),
/* harmony export */   newHealthReport: () => (/* binding */ newHealthReport),
/* harmony export */   planHealthChecks: () => (/* binding */ planHealthChecks),
/* harmony export */   unhealthyReason: () => (/* binding */ unhealthyReason)
/* harmony export */ });
/* harmony import */ var _duration_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3345);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8710);
/* harmony import */ var _wait_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6468);



/** Once a round has passed, the rounds that confirm it (health_threshold) follow this quickly. */
const CONFIRM_INTERVAL_MS = 1000;
/** Records the checks to come, so that a step that ends before them reports them as not checked. */
function planHealthChecks(outcome, checks) {
    if (checks.length)
        outcome.health = newHealthReport(checks);
}
/** A report of checks not run yet. */
function newHealthReport(checks) {
    return {
        checks: checks.map((c) => ({ target: c.target, lastAnswer: 'not checked', rounds: 0 })),
        rounds: 0
    };
}
/**
 * Probes every check each round, polling with `policy` (waitFor), until `threshold` rounds in a
 * row pass: then the report says healthy. Once a round passes, the confirming rounds follow every
 * CONFIRM_INTERVAL_MS, so the threshold adds (threshold − 1) × 1 s, not the policy's longer
 * delays. At the deadline the report says unhealthy, naming the check that failed last.
 */
async function awaitHealthy(options) {
    const { checks, clock, report, log, threshold } = options;
    const startedAt = clock.now();
    let streak = 0;
    const policy = (elapsedMs, random) => streak > 0 ? CONFIRM_INTERVAL_MS : options.policy(elapsedMs, random);
    try {
        await (0,_wait_js__WEBPACK_IMPORTED_MODULE_2__/* .waitFor */ .fm)(async () => {
            const results = await Promise.all(checks.map((c) => options.probe(c, options.signal)));
            report.rounds++;
            let failed;
            results.forEach((result, i) => {
                const check = report.checks[i];
                check.rounds++;
                check.lastAnswer = result.answer;
                if (!result.ok)
                    failed ??= check;
            });
            if (failed)
                report.failing = { target: failed.target, answer: failed.lastAnswer, lastRound: true };
            else if (report.failing)
                report.failing.lastRound = false;
            streak = failed ? 0 : streak + 1;
            if (streak < threshold) {
                const status = failed
                    ? `${failed.target}: ${failed.lastAnswer}`
                    : `every check passed (${streak} of ${threshold} rounds in a row)`;
                return { done: false, status };
            }
            for (const check of report.checks)
                check.healthyAfterMs = clock.now() - startedAt;
            return { done: true, value: undefined };
        }, {
            what: 'the app to be healthy',
            clock,
            random: options.random,
            policy,
            startedAt,
            initialStatus: 'starting the checks',
            deadline: options.deadline,
            signal: options.signal,
            onStatus: (status, ms) => log.info(`${status} (${(0,_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a)(ms)})`)
        });
        report.healthy = true;
        log.info(`The app is healthy: ${threshold} round${threshold > 1 ? 's' : ''} in a row passed, after ${(0,_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a)(clock.now() - startedAt)}.`);
    }
    catch (error) {
        if (!(error instanceof _wait_js__WEBPACK_IMPORTED_MODULE_2__/* .WaitTimeoutError */ .Do))
            throw error;
        report.healthy = false;
    }
    return report;
}
/** The failing check and what it last answered, for the one failure line. */
function unhealthyReason(report) {
    const { failing } = report;
    if (!failing)
        return 'no round of checks ended in time';
    const { target, answer, lastRound } = failing;
    return lastRound
        ? `${target} last answered ${answer}`
        : `${target} last failed with ${answer} (too few rounds in a row passed since)`;
}
/**
 * Runs the app checks of `rt.settings.health` for a step: after a restore left the servers active
 * (`restored` says so: "Server 12345 was restored from backup 501 and is active"), or alone in
 * verify mode. Fills in `rt.outcome.health`; when the app is not
 * healthy within health_timeout, fails with one line that says what is true: restored (or not)
 * and which check failed with what answer.
 */
async function checkHealth(rt, probe, restored) {
    const { checks, threshold, timeoutMs } = rt.settings.health;
    if (!checks.length)
        return;
    const report = (rt.outcome.health ??= newHealthReport(checks));
    const deadline = rt.clock.now() + timeoutMs;
    await rt.log.group(`Check that the app is healthy (${checks.map((c) => c.target).join(', ')})`, () => awaitHealthy({ ...rt, checks, probe, threshold, deadline, report }));
    if (report.healthy)
        return;
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .lZ(`${restored ? `${restored}, but the app` : 'The app'} is not healthy after ${(0,_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a)(timeoutMs)}: ${unhealthyReason(report)}. A person is needed now.`);
}


/***/ })

};
