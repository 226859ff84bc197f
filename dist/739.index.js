export const id = 739;
export const ids = [739];
export const modules = {

/***/ 7739:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   awaitHealthy: () => (/* binding */ awaitHealthy),
/* harmony export */   checkHealth: () => (/* binding */ checkHealth),
/* harmony export */   newHealthReport: () => (/* binding */ newHealthReport),
/* harmony export */   planHealthChecks: () => (/* binding */ planHealthChecks),
/* harmony export */   unhealthyReason: () => (/* binding */ unhealthyReason)
/* harmony export */ });
/* harmony import */ var _common_duration_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9584);
/* harmony import */ var _common_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1635);
/* harmony import */ var _inputs_settings_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3225);
/* harmony import */ var _common_wait_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6329);




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
 * Probes every check each round (waitFor), until `threshold` rounds in a row pass: then the report
 * says healthy. The rounds keep their own cadence, whatever poll_interval says: the first at once,
 * then adaptivePolicy's (an app healthy after T is noticed within max(2 s, T/10)); once a round
 * passes, the confirming rounds follow every CONFIRM_INTERVAL_MS, so the threshold adds
 * (threshold − 1) × 1 s. Each probe is given only the time left before the deadline; at the
 * deadline the report says unhealthy, naming the check that failed last.
 */
async function awaitHealthy(options) {
    const { checks, clock, report, log, threshold, deadline } = options;
    const startedAt = clock.now();
    let streak = 0;
    let status = 'starting the checks';
    const policy = (elapsedMs, random) => {
        if (streak > 0)
            return _inputs_settings_js__WEBPACK_IMPORTED_MODULE_3__/* .CONFIRM_INTERVAL_MS */ .gm;
        return report.rounds ? (0,_common_wait_js__WEBPACK_IMPORTED_MODULE_2__/* .adaptivePolicy */ .Vm)(elapsedMs, random) : 0;
    };
    try {
        await (0,_common_wait_js__WEBPACK_IMPORTED_MODULE_2__/* .waitFor */ .fm)(async () => {
            const limitMs = deadline - clock.now();
            // No time left for a probe: the deadline ends the checks, with the last answers seen.
            if (limitMs <= 0)
                return { done: false, status };
            const results = await Promise.all(checks.map((c) => options.probe(c, options.signal, limitMs)));
            report.rounds++;
            let failed;
            // A probe the deadline cut short says nothing of the app: it keeps its earlier answer.
            const cut = clock.now() >= deadline;
            results.forEach((result, i) => {
                const check = report.checks[i];
                if (!(cut && result.abandoned && check.rounds))
                    check.lastAnswer = result.answer;
                check.rounds++;
                if (!result.ok)
                    failed ??= check;
            });
            if (failed)
                report.failing = { target: failed.target, answer: failed.lastAnswer, lastRound: true };
            else if (report.failing)
                report.failing.lastRound = false;
            streak = failed ? 0 : streak + 1;
            if (streak < threshold) {
                status = failed
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
            initialStatus: status,
            deadline,
            signal: options.signal,
            onStatus: (status, ms) => log.info(`${status} (${(0,_common_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a)(ms)})`)
        });
        report.healthy = true;
        log.info(`The app is healthy: ${threshold} round${threshold > 1 ? 's' : ''} in a row passed, after ${(0,_common_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a)(clock.now() - startedAt)}.`);
    }
    catch (error) {
        if (!(error instanceof _common_wait_js__WEBPACK_IMPORTED_MODULE_2__/* .WaitTimeoutError */ .Do))
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
/** What follows an unhealthy app, true whatever the workflow does next. */
const AFTER_RESTORE = 'This step fails and restores nothing more: the app needs attention.';
const AFTER_VERIFY = 'This step fails: a backup step of this job with rollback_on_failure: true restores the server in its post step; without one, roll back with mode: restore.';
/**
 * Runs the app checks of `rt.settings.health` for a step: after a restore left the servers active
 * (`restored` says so: "Server 12345 was restored from backup 501 and is active"), or alone in
 * verify mode. Fills in `rt.outcome.health`. The checks end by health_timeout and by the step's
 * deadline (`timeout`), whichever comes first; when the app is not healthy by then, fails with one
 * line that says what is true: restored (or not), how long the checks took, which check failed
 * with what answer, and what follows.
 */
async function checkHealth(rt, probe, restored) {
    const { checks, threshold, timeoutMs } = rt.settings.health;
    if (!checks.length)
        return;
    const report = (rt.outcome.health ??= newHealthReport(checks));
    const startedAt = rt.clock.now();
    const deadline = Math.min(startedAt + timeoutMs, rt.deadline);
    await rt.log.group(`Check that the app is healthy (${checks.map((c) => c.target).join(', ')})`, () => awaitHealthy({ ...rt, checks, probe, threshold, deadline, report }));
    if (report.healthy)
        return;
    const cut = deadline < startedAt + timeoutMs
        ? `, when the step's timeout (${(0,_common_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a)(rt.settings.timeoutMs)}) ended the checks`
        : '';
    throw new _common_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .lZ(`${restored ? `${restored}, but the app` : 'The app'} is not healthy after ${(0,_common_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a)(rt.clock.now() - startedAt)}${cut}: ${unhealthyReason(report)}. ${restored ? AFTER_RESTORE : AFTER_VERIFY}`);
}


/***/ })

};
