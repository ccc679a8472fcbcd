/**
 * AppScope: what an app's keys may do. A new app holds every scope (the behaviour before scopes
 * existed); an admin narrows it (PATCH /admin/apps/:app_id). The ledger maps each command to the
 * scope it needs (services/ledger/src/domain/app-scopes.ts); `finance:read` guards the gateway's
 * reads, which never reach the writer.
 */
export const APP_SCOPES = ['finance:write', 'finance:read', 'transfers', 'achievements', 'withdrawals'] as const;

export type AppScope = (typeof APP_SCOPES)[number];

export const APP_SCOPE_RULE = `one of ${APP_SCOPES.join(', ')}`;

export function isAppScope(value: unknown): value is AppScope {
  return typeof value === 'string' && (APP_SCOPES as readonly string[]).includes(value);
}

export const APP_SCOPE_SCHEMA = { type: 'string', enum: [...APP_SCOPES] } as const;
