// What one notification on the bindings channel names. The row triggers (./migrations.ts) send
// `{ table, row }` with the row as JSON (an UPDATE sends the new row, then the old one); a
// TRUNCATE, and a bulk import, send `{ table, all: true }`. Anything else cannot be read, and so
// invalidates everything.

/** What a notification says changed. */
export type Notice =
  /** The subject's own entry: its kind, its role bindings, or one of its team memberships. */
  | { readonly kind: 'subject'; readonly id: string }
  /** An API key, and the subject it belongs to. */
  | { readonly kind: 'key'; readonly key: string; readonly subject: string }
  /** A team's bindings (they reach its members, and callers whose token names it). */
  | { readonly kind: 'team'; readonly team: string }
  /** A deployment row: its workspace or release name. */
  | { readonly kind: 'deployment'; readonly id: string }
  /** Anything may have changed. */
  | { readonly kind: 'all' }

const ALL: Notice = Object.freeze({ kind: 'all' })

export function readNotification(payload: string | undefined): Notice {
  let p: unknown
  try {
    p = JSON.parse(payload ?? '')
  } catch {
    return ALL
  }
  if (!isObject(p) || typeof p.table !== 'string' || p.all === true) return ALL
  const row = p.row
  if (!isObject(row)) return ALL
  const str = (k: string): string | undefined => (typeof row[k] === 'string' ? (row[k] as string) : undefined)
  switch (p.table) {
    case 'permgate_subjects':
    case 'permgate_role_bindings':
    case 'permgate_team_members': {
      const id = str(p.table === 'permgate_subjects' ? 'id' : 'subject_id')
      return id === undefined ? ALL : { kind: 'subject', id }
    }
    case 'permgate_service_account_keys': {
      const key = str('key_sha256')
      const subject = str('subject_id')
      return key === undefined || subject === undefined ? ALL : { kind: 'key', key, subject }
    }
    case 'permgate_team_bindings': {
      const team = str('team_id')
      return team === undefined ? ALL : { kind: 'team', team }
    }
    case 'permgate_deployments': {
      const id = str('id')
      return id === undefined ? ALL : { kind: 'deployment', id }
    }
    default:
      return ALL
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
