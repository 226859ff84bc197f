import type { Backup } from '../../src/vpsorg/api-types.js'

/** A completed manual backup of server 12345 that run 9876543210 made, as the API shows it. */
export function backup(id = 502, overrides: Partial<Backup> = {}): Backup {
  return {
    id,
    server: { id: 12345, name: 'web-server-01' },
    backup_type: 'manual',
    status: 'completed',
    size_mb: 4456,
    created_at: '2025-01-16T15:45:00Z',
    description: 'Pre-deployment backup [gha:acme/shop#9876543210]',
    ...overrides
  }
}
