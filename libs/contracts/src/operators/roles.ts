/**
 * The roles of admin tokens (API.md "Operators: console, roles, audit"), least to most: an
 * `auditor` reads everything and changes nothing; an `operator` may also decide withdrawals and
 * deposits and run operations (verify, rebuild); an `admin` may do all (mint, apps, keys, tokens,
 * reversals). Each role may do everything the roles before it may.
 */
export const ADMIN_ROLES = ['auditor', 'operator', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export function isAdminRole(value: unknown): value is AdminRole {
  return typeof value === 'string' && (ADMIN_ROLES as readonly string[]).includes(value);
}

/** Whether a token of role `held` may use a route that needs `needed`. */
export function roleAllows(held: AdminRole, needed: AdminRole): boolean {
  return ADMIN_ROLES.indexOf(held) >= ADMIN_ROLES.indexOf(needed);
}

/** The most admin tokens that may be live at once (deleted ones do not count): a bound on the table and the list. */
export const MAX_ADMIN_TOKENS = 100;

/** Longest name of an admin token (who or what holds it). */
export const MAX_ADMIN_TOKEN_NAME_LENGTH = 100;

/**
 * The id the deployment's own admin token goes by (COFFER_ADMIN_TOKEN, or the one generated at
 * the first start): it is no row of the tokens table, but its commands are audited like any.
 */
export const ROOT_ADMIN_TOKEN_ID = 'root';

/** GET /admin/audit: the most entries a page holds, and how many when the query says none. */
export const MAX_AUDIT_LIMIT = 100;
export const DEFAULT_AUDIT_LIMIT = 50;

/** GET /admin/stats/daily: the longest range one request may ask for, in days (both ends included). */
export const MAX_DAILY_STATS_DAYS = 366;
