export const id = 756;
export const ids = [756];
export const modules = {

/***/ 2375:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runRestore: () => (/* binding */ runRestore)
});

// EXTERNAL MODULE: ./lib/src/vpsorg/api-types.js
var api_types = __webpack_require__(9532);
// EXTERNAL MODULE: ./lib/src/vpsorg/api-errors.js
var api_errors = __webpack_require__(362);
// EXTERNAL MODULE: ./lib/src/github/description.js
var description = __webpack_require__(9954);
// EXTERNAL MODULE: ./lib/src/common/duration.js
var duration = __webpack_require__(9584);
// EXTERNAL MODULE: ./lib/src/common/errors.js
var errors = __webpack_require__(1635);
// EXTERNAL MODULE: ./lib/src/modes/data-loss.js
var data_loss = __webpack_require__(5681);
// EXTERNAL MODULE: ./lib/src/modes/dry-run.js
var dry_run = __webpack_require__(2068);
// EXTERNAL MODULE: ./lib/src/modes/follow-backup.js
var follow_backup = __webpack_require__(1227);
// EXTERNAL MODULE: ./lib/src/common/wait.js
var wait = __webpack_require__(6329);
// EXTERNAL MODULE: ./lib/src/runtime/outcome.js
var runtime_outcome = __webpack_require__(6925);
;// CONCATENATED MODULE: ./lib/src/modes/follow-server.js




const RESTORING = 'restoring';
const ACTIVE = 'active';
/** Server states a restore does not pass through: seeing one means it failed. */
const TERMINAL = new Set(['error', 'stopped', 'suspended']);
/**
 * How long after the API accepted a restore (202) the restore is assumed to start (assumed: the
 * contract only says the server shows `restoring` while it runs). A restore that is queued, the
 * server still `active`, is followed until it has been seen `restoring` and then `active`; a
 * server never seen restoring within this time (nor the timeout) is taken for one whose restore
 * ran between two looks. `updated_at` is never taken for evidence: an API changes it on its own.
 * After a restore request whose answer was lost, the server is watched as long for a queued
 * restore to start before the request is sent again (awaitStart).
 */
const START_GRACE_MS = 60_000;
/**
 * Polls the server until `done` says so (or throws), logging each status it goes through. The
 * delays grow with the time since `since` (by default the step's start). The one place a
 * follower reads a server's state.
 */
function followServer(rt, what, initialStatus, done, since = rt.startedAt) {
    const { serverId } = rt;
    return (0,wait/* waitFor */.fm)(async () => {
        const server = await rt.client.getServer(serverId);
        return done(server) ? { done: true, value: server } : { done: false, status: server.status };
    }, {
        ...rt,
        policy: (elapsedMs, random) => rt.policy(elapsedMs - (since - rt.startedAt), random),
        what,
        initialStatus,
        onStatus: (status, ms) => rt.log.info(`Server ${serverId}: ${status} (${(0,duration/* formatDuration */.a)(ms)})`)
    });
}
/** Waits until a restore that was running before this step asked for one has ended. */
function awaitOtherRestore(rt) {
    const { serverId } = rt;
    rt.log.info(`Server ${serverId} is already restoring; waiting for that to end first.`);
    return followServer(rt, `the restore already running on server ${serverId} to end`, RESTORING, (current) => current.status !== RESTORING);
}
/**
 * After a restore request whose answer was lost, on a server untouched since (still `status`): an
 * API that accepted the request may have queued the restore, so before the request is sent again
 * the server is watched for it to start, until START_GRACE_MS after the request (or the timeout).
 * Returns the server as last seen: at once when its status is no longer `status` (`restoring`:
 * the request was carried out); else when the grace ends. A queued restore that starts later than
 * that is not seen: the API then refuses the second request while it waits (409), or, if it
 * queues that one too, the server is restored twice (RELIABILITY.md).
 */
function awaitStart(rt, status, requestedAt) {
    const graceEnds = Math.min(rt.deadline, requestedAt + START_GRACE_MS);
    return followServer(rt, `server ${rt.serverId} to start a restore whose request's answer was lost`, status, (server) => server.status !== status || rt.clock.now() >= graceEnds, requestedAt);
}
/** Records the server as seen; fails at once when it is in a state a restore does not pass through. */
function see(rt, server, backup) {
    (0,runtime_outcome/* recordServer */.NP)(rt.outcome, server);
    if (!TERMINAL.has(server.status))
        return;
    (0,runtime_outcome/* clearPending */.VW)(rt.outcome);
    throw new errors/* ActionError */.lZ(`Server ${server.id} is '${server.status}' after restoring from backup ${backup.id}: the restore did not bring it back. Check the server in the VPS.org panel.`);
}
/**
 * Polls the server until it is `active` after an accepted restore. `active` counts once the restore
 * has been seen under way (`begun`: a 200 with the server, or `restoring` seen), or when it has
 * not been seen under way within START_GRACE_MS of the request (see there).
 */
function awaitRestore(rt, backup, begun) {
    const requestedAt = rt.clock.now();
    const graceEnds = Math.min(rt.deadline, requestedAt + START_GRACE_MS);
    let seen = begun;
    return followServer(rt, `server ${rt.serverId} to be active after restoring from backup ${backup.id}`, 'restore requested', (server) => {
        see(rt, server, backup);
        seen ||= server.status !== ACTIVE;
        if (seen)
            return server.status === ACTIVE;
        if (rt.clock.now() < graceEnds)
            return false;
        rt.log.info(`Server ${server.id} is active and was not seen restoring within ${(0,duration/* formatDuration */.a)(rt.clock.now() - requestedAt)} of the request: the restore ran between two looks.`);
        return true;
    }, 
    // The first look a second after the request, so a short restore is seen under way.
    requestedAt);
}

// EXTERNAL MODULE: ./lib/src/runtime/fleet.js
var fleet = __webpack_require__(4533);
// EXTERNAL MODULE: ./lib/src/modes/send-once.js
var send_once = __webpack_require__(545);
;// CONCATENATED MODULE: ./lib/src/modes/restore.js












/**
 * mode: restore. Restores each server from one of its own backups (an id, or `latest`: the newest
 * completed backup this action made for this repository, see findBackup) and waits
 * until it is `active` again. Every server's backup is found, and every refusal made, before any
 * restore request: a fleet is never half restored because one server had no such backup. The
 * restores then run at once; one that fails does not stop the others, which are followed to their
 * end, and the step fails naming each server's outcome.
 */
async function runRestore(step, servers, refs) {
    const n = servers.length;
    const { dryRun } = step.settings;
    (0,runtime_outcome/* markDryRun */.en)(step.outcome, dryRun);
    const backups = (0,fleet/* valuesOf */.sm)(await (0,fleet/* phase */.Oi)(step, servers, `Find the backups of ${n} servers`, (rt, i) => rt.log.group('Find the backup', () => findBackup(rt, refs[i]))), (backup) => `backup ${backup.id} found; no restore was requested`);
    return (0,fleet/* valuesOf */.sm)(await (0,fleet/* phase */.Oi)(step, servers, `${dryRun ? 'Dry run: r' : 'R'}estore ${n} servers`, (rt, i) => restoreFrom(rt, backups[i])), (backup) => `${dryRun ? 'would be ' : ''}restored from backup ${backup.id}`);
}
/**
 * A dry run's restore of one server, once its backup is found and checked as a real run does
 * (findBackup, restoreFrom) and its data-loss window said: reads the server (a real run reads it before its
 * request, and fails if it cannot), says what a real run would do, and requests nothing.
 */
async function previewRestore(rt, backup) {
    const { settings, log, outcome, serverId } = rt;
    const server = await rt.client.getServer(serverId);
    (0,runtime_outcome/* recordServer */.NP)(outcome, server);
    (0,runtime_outcome/* markWouldGoAhead */.Mz)(outcome);
    if (server.status === RESTORING) {
        log.info(`Server ${serverId} is being restored right now: a real run would wait for that restore to end first.`);
    }
    const checks = settings.health.checks.length ? ', then check the app (health_url)' : '';
    const then = settings.wait ? `, wait until it is active${checks}` : '';
    log.info(`Dry run: no restore was requested. A real run of this step (dry_run: false) would restore server ${serverId} from backup ${backup.id}${then}.`);
    return backup;
}
/** Restores one server from its backup (waiting for it to complete first) and waits until it is active. */
async function restoreFrom(rt, from) {
    const { settings, log, outcome, serverId } = rt;
    let backup = from;
    (0,runtime_outcome/* recordRestorePoint */.OW)(outcome, backup);
    if (backup.status !== 'completed' && settings.dryRun) {
        (0,dry_run/* stillBeingMade */.H)(rt, backup, 'restore from it (and fail if it failed)');
    }
    else if (backup.status !== 'completed') {
        // awaitBackup records each state of the backup it sees (track), the completed one last.
        backup = await log.group(`Wait for backup ${backup.id} to complete`, () => (0,follow_backup/* awaitBackup */.zs)(rt, backup));
    }
    (0,data_loss/* announceDataLoss */.jn)(rt, backup);
    if (settings.dryRun)
        return previewRestore(rt, backup);
    const evidence = await log.group(`Restore server ${serverId} from backup ${backup.id}`, () => requestRestore(rt, backup));
    see(rt, evidence.server, backup);
    const done = evidence.begun && evidence.server.status === ACTIVE;
    if (!done && settings.wait) {
        await log.group(`Wait for server ${serverId} to be active`, () => awaitRestore(rt, backup, evidence.begun));
    }
    if (done || settings.wait) {
        (0,runtime_outcome/* markRestored */.Uu)(outcome);
        log.info(`Server ${serverId} is active again, restored from backup ${backup.id} (${backup.created_at}) in ${(0,duration/* formatDuration */.a)(rt.clock.now() - rt.startedAt)}.`);
    }
    return backup;
}
/**
 * The backup, among the server's own: by id; or for `latest`, the newest completed backup this
 * action made for this repository (its description's tag). Not the server's newest backup: an
 * automatic daily backup, or another repository's, taken after a bad deploy holds the broken state.
 */
async function findBackup(rt, ref) {
    const { serverId } = rt;
    // listBackups returns this server's backups only, so another server's is never restored here.
    const backups = await rt.client.listBackups(serverId);
    const backup = ref === 'latest'
        ? backups
            .filter((b) => b.status === 'completed' && (0,description/* isOwnRepository */.nc)((0,description/* parseTag */.ED)(b.description), rt.context))
            .sort(api_types/* newestFirst */.ll)[0]
        : backups.find((b) => b.id === ref);
    if (!backup) {
        throw new errors/* ActionError */.lZ(ref === 'latest'
            ? `Server ${serverId} has no completed backup made by this action for ${rt.context.repository} (backup_id: latest restores only those, never an automatic backup or another repository's); no restore was requested.`
            : `Backup ${ref} is not one of server ${serverId}'s backups (it does not exist, or belongs to another server); no restore was requested.`);
    }
    rt.log.info(`Backup ${backup.id}: ${backup.backup_type}, ${backup.status}, created ${backup.created_at}, "${backup.description ?? ''}"`);
    if (backup.status === 'failed') {
        throw new errors/* ActionError */.lZ(`Backup ${backup.id} of server ${serverId} failed when it was made: it cannot be restored; no restore was requested.`);
    }
    return backup;
}
/**
 * Sends the restore request once in effect (sendOnce). A server already restoring is waited out
 * first; a 409 (busy) is waited out within the timeout. When an answer is lost (5xx, network),
 * the server is read again: `restoring` is evidence that the request was carried out; a server
 * untouched since (same status, same `updated_at`) has not run a restore yet, but the API may
 * have queued one: it is watched for START_GRACE_MS after the request (awaitStart) and the
 * request is sent again only if none starts (a queued one would make the API answer 409);
 * anything else leaves the outcome unknown: a failure that says so, rather than a second restore
 * or a claimed one. An answer of 200 naming another server is no evidence of this restore: the
 * server is followed instead.
 */
function requestRestore(rt, backup) {
    const { client, log, serverId } = rt;
    /** The server as last read before an attempt, and before the first whose answer was lost. */
    let last;
    let before;
    /** When the latest request was sent. */
    let sentAt = rt.clock.now();
    return (0,send_once/* sendOnce */.E)(rt, {
        pending: `Server ${serverId} is being restored from backup ${backup.id} on VPS.org (or the request to do so was sent); the restore goes on. Check the server is active before you deploy to it again.`,
        reconcile: async ({ lost }) => {
            let server = await client.getServer(serverId);
            if (lost) {
                before ??= last;
                if (server.status === before.status && server.updated_at === before.updated_at) {
                    server = await awaitStart(rt, server.status, sentAt);
                }
                if (server.status === RESTORING)
                    return { value: carriedOut(rt, server) };
                if (server.status !== before.status || server.updated_at !== before.updated_at) {
                    throw unknownOutcome(rt, backup, lost, `server ${server.id} is now '${server.status}' (updated ${server.updated_at ?? '?'}) but was not seen restoring`);
                }
                // The timeout cut the watch short: a queued restore may still start.
                if (rt.clock.now() >= rt.deadline) {
                    throw unknownOutcome(rt, backup, lost, 'the timeout came before the grace had passed');
                }
            }
            while (server.status === RESTORING) {
                await awaitOtherRestore(rt);
                server = await client.getServer(serverId);
            }
            last = server;
            return undefined;
        },
        send: async () => {
            sentAt = rt.clock.now();
            const { server } = await client.restore(serverId, backup.id);
            log.info(`Restore of server ${serverId} from backup ${backup.id} requested.`);
            if (server && server.id !== serverId) {
                log.warning(`The API answered the restore of server ${serverId} with server ${server.id} ('${server.status}'): that is no evidence of this restore, so server ${serverId} is followed instead.`);
            }
            return server?.id === serverId
                ? { server, begun: true }
                : { server: { ...last, status: RESTORING }, begun: false };
        },
        onBusy: ({ lost }) => {
            if (lost) {
                throw unknownOutcome(rt, backup, lost, 'the API now answers that the server is busy (409)');
            }
        },
        retryLine: (failure, delayMs) => `${(0,api_errors/* sentence */.em)(failure)} Checking the server again in ${(0,duration/* formatDuration */.a)(delayMs)}`
    });
}
function carriedOut(rt, server) {
    rt.log.info(`Server ${server.id} is restoring: the request was carried out although its answer was lost, so it is not sent again.`);
    return { server, begun: true };
}
/** A restore whose answer was lost, and no evidence either way: fail, saying so. */
function unknownOutcome(rt, backup, lost, why) {
    const { serverId } = rt;
    (0,runtime_outcome/* markPending */.Pe)(rt.outcome, `A restore of server ${serverId} from backup ${backup.id} may be queued or running on VPS.org.`);
    return new errors/* ActionError */.lZ(`The answer to the restore request was lost (${lost.message}) and ${why}: whether server ${serverId} is being restored from backup ${backup.id} is unknown. Check the server in the VPS.org panel (restoring, or restored from backup ${backup.id}?) before deploying to it or restoring again.`);
}


/***/ })

};
