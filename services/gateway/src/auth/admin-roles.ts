/**
 * Which admin role a route needs (API.md "Operators: console, roles, audit"). AdminGuard reads it:
 *
 *   - a GET (or HEAD) needs `auditor`: every role reads everything;
 *   - any other method needs `admin`: mint, apps, keys, tokens, settings, reversals;
 *   - unless the route says otherwise with `@AdminRoles('operator')`: the operations an operator
 *     may run (deciding withdrawals and deposits, verify, rebuild). Every new /admin route that
 *     an operator should run takes it, the console's operations routes included:
 *
 *         @Post('operations/verify')
 *         @AdminRoles('operator')
 *         verify() { … }
 *
 * Roles rank auditor < operator < admin (roleAllows): a route open to operators is open to admins.
 * A change a role may not make is 403 FORBIDDEN, before anything is sent or read.
 */
import { SetMetadata } from '@nestjs/common';
import type { AdminRole } from '@coffer/contracts';

export const ADMIN_ROLE_METADATA = 'coffer:admin-role';

/** The least role this route (or every route of this controller) needs, instead of its method's default. */
export const AdminRoles = (role: AdminRole): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ROLE_METADATA, role);

/** What a route needs when it says nothing: reads are for every role, changes for admins. */
export function defaultRoleFor(method: string): AdminRole {
  return method === 'GET' || method === 'HEAD' ? 'auditor' : 'admin';
}
