export const id = 479;
export const ids = [479];
export const modules = {

/***/ 1479:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  renderSummary: () => (/* binding */ renderSummary)
});

// UNUSED EXPORTS: healthOutcome, renderHealth

// EXTERNAL MODULE: ./lib/src/common/duration.js
var duration = __webpack_require__(9584);
// EXTERNAL MODULE: ./lib/src/runtime/fleet.js
var fleet = __webpack_require__(4533);
// EXTERNAL MODULE: ./lib/src/common/untrusted.js
var untrusted = __webpack_require__(2888);
;// CONCATENATED MODULE: ./lib/src/report/html.js

/** The most characters of one value the summary shows. */
const MAX_VALUE = 1000;
/**
 * Escapes text for the HTML blocks the job summary is made of: scrubbed of the step's secrets, on
 * one line (a blank line would end the block and let Markdown through), at most MAX_VALUE
 * characters, and no character that is markup or Markdown.
 */
function escapeHtml(text, scrub = (t) => t) {
    const chars = [...(0,untrusted/* oneLine */.TN)(scrub(text))];
    const line = chars.length > MAX_VALUE ? `${chars.slice(0, MAX_VALUE - 1).join('')}…` : chars.join('');
    return line.replace(/[&<>"'`|*_[\]\\]/g, (c) => `&#${c.charCodeAt(0)};`);
}

;// CONCATENATED MODULE: ./lib/src/report/data-loss.js


/**
 * What each server's restore discarded (or, in a dry run, would discard): its data-loss window,
 * as the log said it before the restore request, one line per server.
 */
function renderDataLoss(outcome, serverIds, scrub) {
    const lines = (0,fleet/* perServer */.ZZ)(outcome, serverIds).flatMap(([, o]) => o.dataLoss ? [escapeHtml(o.dataLoss, scrub)] : []);
    if (!lines.length)
        return [];
    return [`<p><strong>Data-loss window:</strong><br>${lines.join('<br>')}</p>`, ''];
}

// EXTERNAL MODULE: ./lib/src/inputs/settings.js
var settings = __webpack_require__(3225);
;// CONCATENATED MODULE: ./lib/src/report/rollback.js



/*
 * The job summary's notes after a backup step (summary.ts): how to roll back to its backups, or,
 * when some completed and the step failed, that they are kept and how to delete them.
 */
/**
 * After a backup step: the rollback snippet when every backup completed; when some did and the
 * step failed, that they are kept and how to delete them.
 */
function backupsNote(report, servers) {
    const completed = new Map(servers.flatMap(([id, o]) => o.backup?.status === 'completed' ? [[id, o.backup.id]] : []));
    if (completed.size === servers.length) {
        if (report.rollback === 'armed')
            return automaticRollback(completed);
        const unarmed = report.rollback === 'not armed'
            ? [
                '<p>No automatic rollback: this step did not succeed, so its post step restores nothing.</p>',
                ''
            ]
            : [];
        return [...unarmed, ...rollbackSnippet(report, completed)];
    }
    if (!completed.size)
        return [];
    const each = [...completed].map(([id, backup]) => `server ${id}: backup ${backup}`).join(', ');
    return [
        `<p><strong>Kept:</strong> ${escapeHtml(`the completed backups (${each}) are valid restore points and are kept. To delete them:`, report.scrub)}</p>`,
        '',
        '```yaml',
        ...actionStep(report, [...completed.keys()], 'delete', `'${(0,fleet/* byServer */.Rh)(completed)}'`),
        '```',
        ''
    ];
}
/** The `with:` lines of a step of this action on `servers`, after its `uses:` line. */
function actionStep(report, servers, mode, backupId, uses = `- uses: ${report.actionRef}`) {
    const { apiUrl, scrub = (t) => t } = report;
    return [
        uses,
        '  with:',
        '    api_token: ${{ secrets.VPSORG_API_TOKEN }}',
        ...(apiUrl && apiUrl !== settings/* DEFAULT_API_URL */.rK
            ? [`    api_url: ${scrub(apiUrl).replace(/[^\w.:/%@~+-]/g, '')}`]
            : []),
        `    server_id: ${servers.join(', ')}`,
        `    mode: ${mode}`,
        `    backup_id: ${backupId}`
    ];
}
/**
 * rollback_on_failure armed the post step: it restores the servers when a later step of the job
 * fails. No rollback step is offered: following it would restore them twice.
 */
function automaticRollback(backups) {
    const one = backups.size === 1;
    const each = [...backups].map(([server, backup]) => `server ${server} from backup ${backup}`);
    return [
        `### Roll back to ${one ? 'this backup' : 'these backups'}`,
        '',
        `<p>Automatic (rollback_on_failure): if a later step of this job fails, this action's post step restores ${each.join(', ')} and waits until ${one ? 'it is' : 'they are'} active. Add no rollback step of your own for this job: it would restore a second time.</p>`,
        ''
    ];
}
/**
 * The step that restores the servers to the state before the deploy, ready to paste: after the
 * deploy in this job, reading this step's output, when the step has an id and succeeded (a step
 * that failed has no outcome 'success' to test); else with the ids.
 */
function rollbackSnippet(report, backups) {
    const { stepId } = report;
    const step = stepId && !report.error && /^[A-Za-z_][\w-]*$/.test(stepId) ? stepId : undefined;
    const servers = [...backups.keys()];
    const one = servers.length === 1;
    const output = one ? 'backup_id' : 'backup_ids';
    const literal = one ? String(backups.get(servers[0])) : `'${(0,fleet/* byServer */.Rh)(backups)}'`;
    const them = one ? 'the server' : 'the servers';
    return [
        `### Roll back to ${one ? 'this backup' : 'these backups'}`,
        '',
        step
            ? `Add this step after the deploy: it restores ${them} to the state before the deploy when the deploy fails.`
            : `Add this step (or run it from a \`workflow_dispatch\` workflow) to restore ${them} to the state before the deploy:`,
        '',
        '```yaml',
        ...(step
            ? [
                `- if: failure() && steps.${step}.outcome == 'success'`,
                ...actionStep(report, servers, 'restore', `\${{ steps.${step}.outputs.${output} }}`, `  uses: ${report.actionRef}`)
            ]
            : actionStep(report, servers, 'restore', literal)),
        '```',
        '',
        ...(step
            ? [
                `From another workflow (\`workflow_dispatch\`, say), restore with \`backup_id: ${literal}\`.`,
                ''
            ]
            : [])
    ];
}

;// CONCATENATED MODULE: ./lib/src/report/dry-run.js



/**
 * A dry run's summary: that nothing was changed, what a real run would do, and the step that
 * would do it, pinned to the backups the dry run found (`latest` or `run:<run_id>` may find
 * others later).
 */
function renderDryRun(report, servers) {
    const { mode, outcome } = report;
    if (!outcome.dryRun || (mode !== 'restore' && mode !== 'delete'))
        return [];
    const done = mode === 'restore' ? 'restored' : 'deleted';
    const lines = [`### Dry run: nothing was ${done}`, ''];
    const would = new Map(servers.flatMap(([id, o]) => o.status === 'dry_run' && o.backup ? [[id, o.backup.id]] : []));
    if (!would.size)
        return lines;
    const each = [...would]
        .map(([server, backup]) => `server ${server}${mode === 'restore' ? ' from ' : ': '}backup ${backup}`)
        .join(', ');
    const what = mode === 'restore'
        ? `restore ${each} (what each restore throws away: the data-loss window)`
        : `delete ${each}`;
    const one = would.size === 1;
    const backupId = one ? String([...would.values()][0]) : `'${(0,fleet/* byServer */.Rh)(would)}'`;
    return [
        ...lines,
        `<p>${escapeHtml(`Every check a real run makes passed. A real run of this step (dry_run: false) would ${what}. The step that would do it, pinned to the ${one ? 'backup' : 'backups'} found:`, report.scrub)}</p>`,
        '',
        '```yaml',
        ...actionStep(report, [...would.keys()], mode, backupId),
        '```',
        ''
    ];
}

;// CONCATENATED MODULE: ./lib/src/report/watch.js


/**
 * The watch after the app became healthy (health_watch): how long, how many rounds, the failing
 * rounds it tolerated, and, when the app broke, which check, what it answered and how far in.
 */
function renderWatch(health, scrub) {
    const watch = health?.watch;
    if (!watch)
        return [];
    const { broke, lastFailure, failedRounds } = watch;
    const length = (0,duration/* formatDuration */.a)(watch.ms);
    const outcome = broke
        ? `broke ${(0,duration/* formatDuration */.a)(broke.afterMs)} into the ${length} watch: ${broke.target} answered ${broke.answer}`
        : watch.ended
            ? `stayed healthy through the ${length} watch`
            : `the ${length} watch did not end`;
    const tolerated = !broke && lastFailure
        ? `; ${failedRounds} failing round${failedRounds > 1 ? 's' : ''} tolerated (fewer than health_threshold in a row), the last ${(0,duration/* formatDuration */.a)(lastFailure.afterMs)} in: ${lastFailure.target} answered ${lastFailure.answer}`
        : '';
    const text = `${outcome}; ${watch.rounds} round${watch.rounds === 1 ? '' : 's'}, ${failedRounds} failing${tolerated}.`;
    return [`<p><strong>Watch (health_watch):</strong> ${escapeHtml(text, scrub)}</p>`, ''];
}

;// CONCATENATED MODULE: ./lib/src/report/summary.js







const TITLES = {
    backup: 'VPS.org backup',
    restore: 'VPS.org restore',
    delete: 'VPS.org backup deletion',
    verify: 'App health check'
};
/** The job summary, written once when the step ends. Every value from outside is escaped. */
function renderSummary(report) {
    const { outcome, mode, serverIds = [], scrub } = report;
    const escape = (text) => escapeHtml(text, scrub);
    // The inputs could not be read: the failure is all there is to show.
    if (!mode) {
        return `## ❌ VPS.org Backup & Rollback\n\n<p><strong>Failed:</strong> ${escape(report.error ?? '')}</p>\n`;
    }
    const servers = (0,fleet/* perServer */.ZZ)(outcome, serverIds);
    const pending = (0,fleet/* pendingOf */.lc)(outcome);
    const status = (0,fleet/* stepStatus */.FY)(outcome);
    const title = report.automatic ? 'Automatic rollback (rollback_on_failure)' : TITLES[mode];
    const icon = report.error ? '❌' : pending ? '⏳' : status === 'not_found' ? '⚠️' : '✅';
    const several = servers.length > 1;
    const lines = [
        `## ${icon} ${title}${several ? ` of ${servers.length} servers` : ''}`,
        '',
        '<table>'
    ];
    const rows = several ? fleetRows(report, status) : serverRows(report, servers[0]);
    for (const [name, value] of rows) {
        if (value !== undefined && value !== null && value !== '') {
            lines.push(`<tr><th align="left">${name}</th><td>${escape(String(value))}</td></tr>`);
        }
    }
    if (outcome.run) {
        const { id, url } = outcome.run;
        lines.push(`<tr><th align="left">Workflow run</th><td><a href="${escape(url)}">${id}</a></td></tr>`);
    }
    if (outcome.ledger)
        lines.push(ledgerRow(outcome.ledger, escape));
    lines.push('</table>', '');
    if (several)
        lines.push(...serverTable(report, servers));
    lines.push(...renderDataLoss(outcome, serverIds, scrub), ...renderDryRun(report, servers));
    // HTML blocks, not Markdown paragraphs: GitHub makes no links or emphasis inside them.
    if (report.error)
        lines.push(`<p><strong>Failed:</strong> ${escape(report.error)}</p>`, '');
    if (outcome.skipped) {
        lines.push(`<p><strong>Skipped:</strong> ${escape(outcome.skipped)}</p>`, '');
    }
    if (pending)
        lines.push(`<p><strong>Still running:</strong> ${escape(pending)}</p>`, '');
    lines.push(...renderHealth(mode, outcome, scrub), ...renderWatch(outcome.health, scrub));
    if (mode === 'backup')
        lines.push(...backupsNote(report, servers));
    return lines.join('\n');
}
/** The deploy ledger (environment): a link to the environment's deployments, and this step's. */
function ledgerRow(ledger, escape) {
    const { environment, url, deploymentId, state } = ledger;
    const deployment = deploymentId
        ? ` (deployment ${deploymentId}${state ? `: ${escape(state)}` : ''})`
        : '';
    return `<tr><th align="left">Deployments</th><td><a href="${escape(url)}">${escape(environment)}</a>${deployment}</td></tr>`;
}
/** One server's step: the rows as they have always been. */
function serverRows(report, [serverId, outcome]) {
    const { backup, server } = outcome;
    const { mode } = report;
    const serverName = server?.name ?? backup?.server.name;
    const restored = mode === 'restore' && outcome.restored === true;
    return [
        // verify mode may have no server (0).
        ['Server', serverName ? `${serverName} (${serverId})` : serverId || undefined],
        [restored ? 'Restored from backup' : 'Backup', backup?.id],
        ['Created', backup?.created_at],
        ['Description', backup?.description],
        ['Size', backup?.size_mb == null ? undefined : `${backup.size_mb} MB`],
        ['Reused', outcome.reused ? 'yes: created by an earlier attempt of this run' : undefined],
        [mode === 'backup' ? 'Backup status' : 'Status', outcome.status],
        ['Deleted', outcome.deleted.length ? outcome.deleted.join(', ') : undefined],
        ['Took', (0,duration/* formatDuration */.a)(report.elapsedMs)]
    ];
}
/** A step of several servers: what holds for all of them; each one's row follows (serverTable). */
function fleetRows(report, status) {
    const { outcome } = report;
    const deleted = [...outcome.servers.values()].flatMap((o) => o.deleted);
    return [
        ['Status', status],
        ['Deleted', deleted.length ? deleted.join(', ') : undefined],
        ['Took', (0,duration/* formatDuration */.a)(report.elapsedMs)]
    ];
}
/** One row per server: id and name, backup, status, size, and how long its work took. */
function serverTable(report, servers) {
    const restore = report.mode === 'restore';
    const head = ['Server', restore ? 'Restored from backup' : 'Backup', 'Status', 'Size', 'Took'];
    const lines = ['<table>', `<tr>${head.map((h) => `<th align="left">${h}</th>`).join('')}</tr>`];
    for (const [id, o] of servers) {
        const name = o.server?.name ?? o.backup?.server.name;
        const cells = [
            name ? `${name} (${id})` : String(id),
            o.backup ? `${o.backup.id}${o.reused ? ' (reused)' : ''}` : '',
            o.status ?? '',
            o.backup?.size_mb == null ? '' : `${o.backup.size_mb} MB`,
            o.tookMs === undefined ? '' : (0,duration/* formatDuration */.a)(o.tookMs)
        ];
        lines.push(`<tr>${cells.map((cell) => `<td>${escapeHtml(cell, report.scrub)}</td>`).join('')}</tr>`);
    }
    lines.push('</table>', '');
    return lines;
}
/** The outcome in words, for a restore or verify step that had app checks. */
function healthOutcome(mode, outcome) {
    const healthy = outcome.health?.healthy;
    if (mode === 'verify') {
        if (healthy === undefined)
            return 'not checked to the end';
        return healthy ? 'healthy' : 'not healthy: this step fails';
    }
    if (!outcome.restored) {
        return outcome.status === 'restoring'
            ? 'restore still running: the app was not checked'
            : 'not restored';
    }
    if (healthy === undefined)
        return 'restored, app health unknown: the checks did not end';
    return healthy ? 'restored and healthy' : 'restored but not healthy: the app needs attention';
}
/** The app checks: each check's target (no user-info), last answer, rounds, time to healthy. */
function renderHealth(mode, outcome, scrub) {
    const { health } = outcome;
    if (!health)
        return [];
    const lines = [
        '### App health',
        '',
        `**Outcome:** ${escapeHtml(healthOutcome(mode, outcome), scrub)}`,
        '',
        '<table>',
        '<tr><th align="left">Check</th><th align="left">Last answer</th><th align="left">Rounds</th><th align="left">Healthy after</th></tr>'
    ];
    for (const check of health.checks) {
        const cells = [
            check.target,
            check.lastAnswer,
            String(check.rounds),
            check.healthyAfterMs === undefined ? 'not healthy' : (0,duration/* formatDuration */.a)(check.healthyAfterMs)
        ];
        lines.push(`<tr>${cells.map((cell) => `<td>${escapeHtml(cell, scrub)}</td>`).join('')}</tr>`);
    }
    lines.push('</table>', '');
    return lines;
}


/***/ })

};
