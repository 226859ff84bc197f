/** Where the unit tests' VpsOrgClient sends its requests (the action's default api_url). */
export const ORIGIN = 'https://admin.vps.org'
export const API = `${ORIGIN}/api/v1`
