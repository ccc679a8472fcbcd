import { realmOfApp, type AppSettings, type AppSettingsReply, type AppsReply } from '@coffer/contracts';
import type { AppList, AppSettingsView } from '@coffer/contracts/http';

/** GET /admin/apps as API.md shows it: each app with its keys (never their hashes). */
export function appListView(reply: AppsReply): AppList {
  return {
    data: reply.data.map((app) => ({
      app_id: app.app_id,
      realm: realmOfApp(app.app_id),
      name: app.name,
      created_at: app.created_at,
      ...appSettingsView(app),
      keys: app.keys.map((key) => ({ key_id: key.key_id, created_at: key.created_at, revoked_at: key.revoked_at ?? null })),
    })),
    next_cursor: reply.next_cursor ?? null,
  };
}

/** An app's settings as API.md shows them: null scopes or currencies mean every one; {} no limit. */
export function appSettingsView(settings: AppSettings): AppSettings {
  return {
    scopes: settings.scopes ?? null,
    currencies: settings.currencies ?? null,
    mint_limit_per_day: settings.mint_limit_per_day ?? {},
  };
}

/** PATCH /admin/apps/:app_id: the app with its settings. */
export function appWithSettingsView(reply: AppSettingsReply): AppSettingsView {
  return { app_id: reply.app_id, realm: realmOfApp(reply.app_id), name: reply.name, created_at: reply.created_at, ...appSettingsView(reply) };
}
