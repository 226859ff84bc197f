export const id = 406;
export const ids = [406];
export const modules = {

/***/ 6406:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   renderSummary: () => (/* binding */ renderSummary)
/* harmony export */ });
/* unused harmony exports escapeHtml, healthOutcome, renderHealth */
/* harmony import */ var _duration_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3300);
/* harmony import */ var _inputs_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5777);
/* harmony import */ var _untrusted_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(5524);



/** The most characters of one value the summary shows. */
const MAX_VALUE = 1000;
/**
 * Escapes text for the HTML blocks the job summary is made of: on one line (a blank line would
 * end the block and let Markdown through), at most MAX_VALUE characters, and no character that
 * is markup or Markdown.
 */
function escapeHtml(text) {
    const chars = [...(0,_untrusted_js__WEBPACK_IMPORTED_MODULE_2__/* .oneLine */ .TN)(text)];
    const line = chars.length > MAX_VALUE ? `${chars.slice(0, MAX_VALUE - 1).join('')}…` : chars.join('');
    return line.replace(/[&<>"'`|*_[\]\\]/g, (c) => `&#${c.charCodeAt(0)};`);
}
const TITLES = {
    backup: 'VPS.org backup',
    restore: 'VPS.org restore',
    delete: 'VPS.org backup deletion',
    verify: 'App health check'
};
/** The job summary, written once when the step ends. Every value from outside is escaped. */
function renderSummary(report) {
    const { outcome, mode, serverId } = report;
    // The inputs could not be read: the failure is all there is to show.
    if (!mode) {
        return `## ❌ VPS.org Backup & Rollback\n\n<p><strong>Failed:</strong> ${escapeHtml(report.error ?? '')}</p>\n`;
    }
    const { backup, server } = outcome;
    const serverName = server?.name ?? backup?.server.name;
    const title = report.automatic ? 'Automatic rollback (rollback_on_failure)' : TITLES[mode];
    const restored = mode === 'restore' && outcome.restored === true;
    const rows = [
        // verify mode may have no server (0).
        ['Server', serverName ? `${serverName} (${serverId})` : serverId || undefined],
        [restored ? 'Restored from backup' : 'Backup', backup?.id],
        ['Created', backup?.created_at],
        ['Description', backup?.description],
        ['Size', backup?.size_mb == null ? undefined : `${backup.size_mb} MB`],
        ['Reused', outcome.reused ? 'yes: created by an earlier attempt of this run' : undefined],
        [mode === 'backup' ? 'Backup status' : 'Status', outcome.status],
        ['Deleted', outcome.deleted.length ? outcome.deleted.join(', ') : undefined],
        ['Took', (0,_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a)(report.elapsedMs)]
    ];
    const icon = report.error
        ? '❌'
        : outcome.pending
            ? '⏳'
            : outcome.status === 'not_found'
                ? '⚠️'
                : '✅';
    const lines = [`## ${icon} ${title}`, '', '<table>'];
    for (const [name, value] of rows) {
        if (value !== undefined && value !== null && value !== '') {
            lines.push(`<tr><th align="left">${name}</th><td>${escapeHtml(String(value))}</td></tr>`);
        }
    }
    if (outcome.run) {
        const { id, url } = outcome.run;
        lines.push(`<tr><th align="left">Workflow run</th><td><a href="${escapeHtml(url)}">${id}</a></td></tr>`);
    }
    lines.push('</table>', '');
    // HTML blocks, not Markdown paragraphs: GitHub makes no links or emphasis inside them.
    if (report.error)
        lines.push(`<p><strong>Failed:</strong> ${escapeHtml(report.error)}</p>`, '');
    if (outcome.skipped) {
        lines.push(`<p><strong>Skipped:</strong> ${escapeHtml(outcome.skipped)}</p>`, '');
    }
    if (outcome.pending) {
        lines.push(`<p><strong>Still running:</strong> ${escapeHtml(outcome.pending)}</p>`, '');
    }
    lines.push(...renderHealth(mode, outcome));
    if (mode === 'backup' && backup?.status === 'completed') {
        lines.push(...rollbackSnippet(report, backup.id));
    }
    return lines.join('\n');
}
/** The outcome in words, for a restore or verify step that had app checks. */
function healthOutcome(mode, outcome) {
    const healthy = outcome.health?.healthy;
    if (mode === 'verify') {
        if (healthy === undefined)
            return 'not checked to the end';
        return healthy ? 'healthy' : 'not healthy: a person is needed now';
    }
    if (!outcome.restored) {
        return outcome.status === 'restoring'
            ? 'restore still running: the app was not checked'
            : 'not restored';
    }
    if (healthy === undefined)
        return 'restored, app health unknown: the checks did not end';
    return healthy ? 'restored and healthy' : 'restored but not healthy: a person is needed now';
}
/** The app checks: each check's target (no user-info), last answer, rounds, time to healthy. */
function renderHealth(mode, outcome) {
    const { health } = outcome;
    if (!health)
        return [];
    const lines = [
        '### App health',
        '',
        `**Outcome:** ${escapeHtml(healthOutcome(mode, outcome))}`,
        '',
        '<table>',
        '<tr><th align="left">Check</th><th align="left">Last answer</th><th align="left">Rounds</th><th align="left">Healthy after</th></tr>'
    ];
    for (const check of health.checks) {
        const cells = [
            check.target,
            check.lastAnswer,
            String(check.rounds),
            check.healthyAfterMs === undefined ? 'not healthy' : (0,_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a)(check.healthyAfterMs)
        ];
        lines.push(`<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`);
    }
    lines.push('</table>', '');
    return lines;
}
/**
 * The step that restores the server to the state before the deploy, ready to paste: after the
 * deploy in this job, reading this step's output, when the step has an id; else with the id.
 */
function rollbackSnippet(report, backupId) {
    const { stepId, apiUrl } = report;
    const step = stepId && /^[A-Za-z_][\w-]*$/.test(stepId) ? stepId : undefined;
    const uses = `uses: ${report.actionRef}`;
    return [
        '### Roll back to this backup',
        '',
        step
            ? 'Add this step after the deploy: it restores the server to the state before the deploy when the deploy fails.'
            : 'Add this step (or run it from a `workflow_dispatch` workflow) to restore the server to the state before the deploy:',
        '',
        '```yaml',
        ...(step
            ? [`- if: failure() && steps.${step}.outcome == 'success'`, `  ${uses}`]
            : [`- ${uses}`]),
        '  with:',
        '    api_token: ${{ secrets.VPSORG_API_TOKEN }}',
        ...(apiUrl && apiUrl !== _inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .DEFAULT_API_URL */ .rK
            ? [`    api_url: ${apiUrl.replace(/[^\w.:/%@~+-]/g, '')}`]
            : []),
        `    server_id: ${report.serverId}`,
        '    mode: restore',
        `    backup_id: ${step ? `\${{ steps.${step}.outputs.backup_id }}` : backupId}`,
        '```',
        '',
        ...(step
            ? [
                `From another workflow (\`workflow_dispatch\`, say), restore with \`backup_id: ${backupId}\`.`,
                ''
            ]
            : [])
    ];
}


/***/ })

};
