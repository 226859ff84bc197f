import type { Backup } from '../../src/api-types.js'

/** Backup 502 of server 12345, completed, as the API shows it; `overrides` on top. */
export function backup(overrides: Partial<Backup> = {}): Backup {
  return {
    id: 502,
    server: { id: 12345, name: 'web-server-01' },
    backup_type: 'manual',
    status: 'completed',
    size_mb: 4456,
    created_at: '2025-01-16T15:45:00Z',
    description: 'Pre-deployment backup [gha:acme/shop#9876543210]',
    ...overrides
  }
}
