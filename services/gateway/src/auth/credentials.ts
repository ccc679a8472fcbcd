/**
 * What a request's Authorization header holds, told apart so a 401 can say what to fix: nothing,
 * something that is not `Bearer <token>`, or a bearer token (which the guard then looks up).
 * Unknown and revoked keys are one answer on purpose: telling them apart would let a caller probe
 * which keys ever existed.
 */
import { bearerToken } from './api-keys';

export type Credentials =
  | { kind: 'missing' }
  | { kind: 'malformed' }
  | { kind: 'bearer'; token: string };

export function credentialsOf(header: string | string[] | undefined): Credentials {
  if (header === undefined) return { kind: 'missing' };
  const token = bearerToken(header);
  return token === null ? { kind: 'malformed' } : { kind: 'bearer', token };
}

/** The message for a header that is there but is not `Bearer <token>` (Basic, a bare "Bearer", two tokens). */
export const MALFORMED_AUTHORIZATION = 'the Authorization header is malformed: send exactly "Authorization: Bearer <token>"';
