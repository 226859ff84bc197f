export const id = 463;
export const ids = [463];
export const modules = {

/***/ 5463:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   MAX_BODY_BYTES: () => (/* binding */ MAX_BODY_BYTES),
/* harmony export */   MAX_REDIRECTS: () => (/* binding */ MAX_REDIRECTS),
/* harmony export */   PROBE_TIMEOUT_MS: () => (/* binding */ PROBE_TIMEOUT_MS),
/* harmony export */   createProber: () => (/* binding */ createProber)
/* harmony export */ });
/* harmony import */ var node_net__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7030);
/* harmony import */ var undici__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6752);
/* harmony import */ var _vpsorg_api_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(362);
/* harmony import */ var _common_duration_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9584);
/* harmony import */ var _common_errors_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(1635);





/** Each probe is abandoned after this long (or sooner, at the checks' deadline) and fails. */
const PROBE_TIMEOUT_MS = 10_000;
/** Redirects a check follows itself, so that credentials stay with the URL's own origin. */
const MAX_REDIRECTS = 5;
/** How much of a body health_contains looks at. */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * The app checks' edge: a GET for http(s) checks (through `dispatcher`), a direct TCP connection
 * for tcp checks. Each probe ends within `timeoutMs` and within the `limitMs` it is given,
 * headers, redirects and body included; only cancellation makes it reject. It sends no header but
 * the user agent, and Basic authentication from the URL's user-info to that URL's origin: never
 * the VPS.org token.
 */
function createProber(options) {
    return async (check, cancel, limitMs) => {
        const timeoutMs = Math.min(options.timeoutMs ?? PROBE_TIMEOUT_MS, limitMs);
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = AbortSignal.any([cancel, timeout]);
        // The status of the answer whose body is being read, for a body that does not end in time.
        const reading = {};
        try {
            return await (check.kind === 'tcp'
                ? probeTcp(check.host, check.port, signal)
                : probeHttp(check, options, signal, reading));
        }
        catch (error) {
            if (cancel.aborted)
                throw new _common_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .CancelledError */ .cc();
            if (!timeout.aborted)
                return { ok: false, answer: (0,_vpsorg_api_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .networkReason */ .d8)(error) };
            const within = `within ${(0,_common_duration_js__WEBPACK_IMPORTED_MODULE_3__/* .formatDuration */ .a)(timeoutMs)} (abandoned)`;
            return {
                ok: false,
                abandoned: true,
                answer: reading.status === undefined
                    ? `nothing ${within}`
                    : `HTTP ${reading.status} without the health_contains text ${within}`
            };
        }
    };
}
async function probeHttp(check, options, signal, reading) {
    const origin = new URL(check.target).origin;
    let url = new URL(check.target);
    for (let redirects = 0;; redirects++) {
        const headers = { 'user-agent': options.userAgent };
        if (check.credentials && url.origin === origin) {
            const { username, password } = check.credentials;
            headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
        }
        const response = await (0,undici__WEBPACK_IMPORTED_MODULE_1__/* .request */ .Em)(url, { dispatcher: options.dispatcher, signal, headers });
        const status = response.statusCode;
        const healthy = status >= 200 && status < 300;
        if (!healthy || !options.contains) {
            // Only the status counts: the body is not waited for.
            discard(response.body);
            const location = response.headers.location;
            if (status < 300 || status >= 400 || typeof location !== 'string') {
                return { ok: healthy, answer: `HTTP ${status}` };
            }
            if (redirects === MAX_REDIRECTS) {
                return { ok: false, answer: `HTTP ${status}: more than ${MAX_REDIRECTS} redirects` };
            }
            url = new URL(location, url);
            if (url.protocol !== 'http:' && url.protocol !== 'https:') {
                return { ok: false, answer: `HTTP ${status}: a redirect to a ${url.protocol} URL` };
            }
            continue;
        }
        reading.status = status;
        const found = await bodyContains(response.body, options.contains);
        return found
            ? { ok: true, answer: `HTTP ${status}` }
            : { ok: false, answer: `HTTP ${status} without the health_contains text in the body` };
    }
}
/** Stops reading a body, whether it ended or not (undici then reports an abort, which is expected). */
function discard(body) {
    body.on('error', () => { }).destroy();
}
/** Whether the body's first MAX_BODY_BYTES contain `text`; stops reading once they do. */
async function bodyContains(body, text) {
    let seen = Buffer.alloc(0);
    for await (const chunk of body) {
        seen = Buffer.concat([seen, chunk]).subarray(0, MAX_BODY_BYTES);
        // Leaving the loop destroys the body.
        if (seen.includes(text) || seen.length >= MAX_BODY_BYTES)
            break;
    }
    return seen.includes(text);
}
/** Opens a TCP connection directly (no proxy) and closes it at once. */
function probeTcp(host, port, signal) {
    return new Promise((resolve, reject) => {
        const socket = (0,node_net__WEBPACK_IMPORTED_MODULE_0__.connect)({ host, port, signal });
        socket.once('connect', () => {
            socket.destroy();
            resolve({ ok: true, answer: 'connected' });
        });
        socket.once('error', reject);
    });
}


/***/ })

};
