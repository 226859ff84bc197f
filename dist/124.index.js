export const id = 124;
export const ids = [124];
export const modules = {

/***/ 1124:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  awaitHealthy: () => (/* binding */ awaitHealthy),
  checkHealth: () => (/* binding */ checkHealth),
  newHealthReport: () => (/* binding */ newHealthReport),
  planHealthChecks: () => (/* binding */ planHealthChecks),
  unhealthyReason: () => (/* binding */ unhealthyReason)
});

// EXTERNAL MODULE: ./lib/src/common/duration.js
var duration = __webpack_require__(9584);
// EXTERNAL MODULE: ./lib/src/common/errors.js
var errors = __webpack_require__(1635);
// EXTERNAL MODULE: ./lib/src/inputs/settings.js
var settings = __webpack_require__(3225);
// EXTERNAL MODULE: ./lib/src/runtime/outcome.js
var runtime_outcome = __webpack_require__(6925);
// EXTERNAL MODULE: ./lib/src/common/wait.js
var wait = __webpack_require__(6329);
;// CONCATENATED MODULE: ./lib/src/health/watch.js



/** During the watch, a round of checks comes at least this often. */
const WATCH_EVERY_MS = 10_000;
/**
 * The watch's cadence: about ten rounds a watch, never more than WATCH_EVERY_MS apart nor less
 * than CONFIRM_INTERVAL_MS (a 3 s watch: every second; 100 s and up: every 10 s).
 */
function watchInterval(watchMs) {
    return Math.min(WATCH_EVERY_MS, Math.max(settings/* CONFIRM_INTERVAL_MS */.gm, watchMs / 10));
}
/**
 * health_watch: once the app is healthy (awaitHealthy), keeps probing every check for `watchMs`,
 * a round every watchInterval(watchMs). A round in which any check fails starts (or extends) a
 * streak, whose next rounds follow every CONFIRM_INTERVAL_MS: `threshold` failing rounds in a row
 * end the watch at once, the app broken (`broke`: the check, its answer, and how far into the
 * watch the streak began). So an app that breaks is noticed within watchInterval + (threshold −
 * 1) × CONFIRM_INTERVAL_MS plus the probes' time. Shorter streaks are tolerated and counted. The
 * watch ends at `watchMs`, or at the step's deadline if that comes first (the inputs leave room
 * for it: health_timeout + health_watch ≤ timeout).
 */
async function watchHealthy(options) {
    const { checks, clock, log, threshold, watchMs, report } = options;
    const startedAt = clock.now();
    const watch = { ms: watchMs, rounds: 0, failedRounds: 0 };
    report.watch = watch;
    const every = watchInterval(watchMs);
    let streak = [];
    log.info(`Watching the app for ${(0,duration/* formatDuration */.a)(watchMs)} (health_watch): a round every ${(0,duration/* formatDuration */.a)(every)}; the step fails after ${threshold} failing round${threshold > 1 ? 's' : ''} in a row.`);
    try {
        watch.broke = await (0,wait/* waitFor */.fm)(async () => {
            const afterMs = clock.now() - startedAt;
            const results = await Promise.all(checks.map((c) => options.probe(c, options.signal, options.deadline - clock.now())));
            watch.rounds++;
            report.rounds++;
            let failed;
            results.forEach((result, i) => {
                const check = report.checks[i];
                check.lastAnswer = result.answer;
                check.rounds++;
                if (!result.ok)
                    failed ??= { target: check.target, answer: result.answer, afterMs };
            });
            if (!failed) {
                streak = [];
                return { done: false, status: 'every check passed' };
            }
            watch.failedRounds++;
            watch.lastFailure = failed;
            streak.push(failed);
            if (streak.length >= threshold)
                return { done: true, value: { ...failed, afterMs: streak[0].afterMs } };
            return {
                done: false,
                status: `${failed.target}: ${failed.answer} (${streak.length} of ${threshold} failing rounds in a row)`
            };
        }, {
            what: 'the end of the watch',
            clock,
            random: options.random,
            policy: () => (streak.length ? settings/* CONFIRM_INTERVAL_MS */.gm : every),
            startedAt,
            initialStatus: 'every check passed',
            deadline: Math.min(startedAt + watchMs, options.deadline),
            signal: options.signal,
            onStatus: (status, ms) => log.info(`Watch: ${status} (${(0,duration/* formatDuration */.a)(ms)})`)
        });
    }
    catch (error) {
        if (!(error instanceof wait/* WaitTimeoutError */.Do))
            throw error;
        watch.ended = true;
    }
    return watch;
}

;// CONCATENATED MODULE: ./lib/src/health/health.js






/** Records the checks to come, so that a step that ends before them reports them as not checked. */
function planHealthChecks(outcome, checks) {
    if (checks.length)
        (0,runtime_outcome/* recordHealth */.Kp)(outcome, newHealthReport(checks));
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
            return settings/* CONFIRM_INTERVAL_MS */.gm;
        return report.rounds ? (0,wait/* adaptivePolicy */.Vm)(elapsedMs, random) : 0;
    };
    try {
        await (0,wait/* waitFor */.fm)(async () => {
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
            onStatus: (status, ms) => log.info(`${status} (${(0,duration/* formatDuration */.a)(ms)})`)
        });
        report.healthy = true;
        log.info(`The app is healthy: ${threshold} round${threshold > 1 ? 's' : ''} in a row passed, after ${(0,duration/* formatDuration */.a)(clock.now() - startedAt)}.`);
    }
    catch (error) {
        if (!(error instanceof wait/* WaitTimeoutError */.Do))
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
    const { checks, threshold, timeoutMs, watchMs } = rt.settings.health;
    if (!checks.length)
        return;
    const report = (rt.outcome.health ??= newHealthReport(checks));
    const startedAt = rt.clock.now();
    const deadline = Math.min(startedAt + timeoutMs, rt.deadline);
    await rt.log.group(`Check that the app is healthy (${checks.map((c) => c.target).join(', ')})`, () => awaitHealthy({ ...rt, checks, probe, threshold, deadline, report }));
    if (report.healthy && watchMs)
        return watch(rt, probe, report);
    if (report.healthy)
        return;
    const cut = deadline < startedAt + timeoutMs
        ? `, when the step's timeout (${(0,duration/* formatDuration */.a)(rt.settings.timeoutMs)}) ended the checks`
        : '';
    throw new errors/* ActionError */.lZ(`${restored ? `${restored}, but the app` : 'The app'} is not healthy after ${(0,duration/* formatDuration */.a)(rt.clock.now() - startedAt)}${cut}: ${unhealthyReason(report)}. ${restored ? AFTER_RESTORE : AFTER_VERIFY}`);
}
/**
 * health_watch, once the app is healthy: green only when the watch has ended (the `health` output
 * is empty while it runs); when the app breaks, fails at once with one line that says which check
 * failed, what it answered and how far into the watch. Only verify watches (the inputs refuse
 * health_watch in any other mode), so a watch never follows a restore.
 */
async function watch(rt, probe, report) {
    const { checks, threshold, watchMs } = rt.settings.health;
    report.healthy = undefined;
    const { broke, rounds, failedRounds } = await rt.log.group(`Watch the app for ${(0,duration/* formatDuration */.a)(watchMs)} (health_watch)`, () => watchHealthy({ ...rt, checks, probe, threshold, watchMs, report }));
    report.healthy = broke === undefined;
    if (!broke) {
        const tolerated = failedRounds
            ? `, ${failedRounds} failing round${failedRounds > 1 ? 's' : ''} tolerated (fewer than ${threshold} in a row)`
            : '';
        rt.log.info(`The app stayed healthy through the ${(0,duration/* formatDuration */.a)(watchMs)} watch: ${rounds} round${rounds > 1 ? 's' : ''}${tolerated}.`);
        return;
    }
    throw new errors/* ActionError */.lZ(`The app became healthy, then broke ${(0,duration/* formatDuration */.a)(broke.afterMs)} into the ${(0,duration/* formatDuration */.a)(watchMs)} watch (health_watch): ${broke.target} answered ${broke.answer}, ${threshold} round${threshold > 1 ? 's' : ''} in a row. ${AFTER_VERIFY}`);
}


/***/ })

};
