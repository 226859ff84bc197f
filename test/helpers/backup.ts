import type { Backup } from '../../src/api-types.js'

/** A completed manual backup of server 12345, as the API lists it; `overrides` on top. */
export function backup(id: number, overrides: Partial<Backup> = {}): Backup {
  return {
    id,
    server: { id: 12345, name: 'web-server-01' },
    backup_type: 'manual',
    status: 'completed',
    size_mb: 4456,
    created_at: '2025-01-14T10:30:00Z',
    description: 'Pre-update backup',
    ...overrides
  }
}
