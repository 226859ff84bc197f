/** Where the unit tests' VpsOrgClient sends its requests (the action's default api_url). */
export const ORIGIN = 'https://admin.vps.org'
export const API = `${ORIGIN}/api/v1`

/** The paths the modes use, on server 12345. */
export const BACKUPS = '/api/v1/backups/'
export const SERVER = '/api/v1/servers/12345/'
export const RESTORE = '/api/v1/servers/12345/restore/'
