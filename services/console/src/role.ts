/**
 * What the signed-in token may do (GET /admin/whoami), so the console offers only that: the
 * gateway enforces it on every route anyway (403), this spares an operator buttons that can only fail.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export type Role = 'auditor' | 'operator' | 'admin';
const RANK: Record<Role, number> = { auditor: 0, operator: 1, admin: 2 };

export const RoleContext = createContext<Role>('auditor');

/** Whether the signed-in role reaches `needed` (auditor < operator < admin). */
export function useCan(needed: Role): boolean {
  return RANK[useContext(RoleContext)] >= RANK[needed];
}
