import { DEFAULT_REALM } from '@coffer/contracts';

/**
 * The path an admin command's request hash covers: `?realm=` is part of what was asked (one
 * Idempotency-Key for two realms is two requests), left out for the default realm so the hash of
 * a request that names none is what it was before realms.
 */
export function realmPath(path: string, where: { realm?: string }): string {
  return where.realm === undefined || where.realm === DEFAULT_REALM ? path : `${path}?realm=${where.realm}`;
}
