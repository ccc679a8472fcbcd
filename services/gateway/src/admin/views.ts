import type { AppsReply } from '@coffer/contracts';
import type { AppList } from '@coffer/contracts/http';

/** GET /admin/apps as API.md shows it: each app with its keys (never their hashes). */
export function appListView(reply: AppsReply): AppList {
  return {
    data: reply.data.map((app) => ({
      app_id: app.app_id,
      name: app.name,
      created_at: app.created_at,
      keys: app.keys.map((key) => ({ key_id: key.key_id, created_at: key.created_at, revoked_at: key.revoked_at ?? null })),
    })),
    next_cursor: reply.next_cursor ?? null,
  };
}
