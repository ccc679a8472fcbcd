import type { AppScope } from '../values/app-scope';
/** The app's and its API keys' domain events (the key events are internal: never on the feed). */

export interface AppRegistered {
  app_id: string;
  name: string;
  registered_at: string;
}

export interface ApiKeyIssued {
  app_id: string;
  key_id: string;
  /** SHA-256 of the key, hex: the key itself is never stored. */
  key_hash: string;
  issued_at: string;
}

export interface ApiKeyRevoked {
  app_id: string;
  key_id: string;
  revoked_at: string;
}

/** An admin changed what the app may do: its settings as they are from now on (AppSettings). */
export interface AppSettingsChanged {
  app_id: string;
  scopes: AppScope[] | null;
  currencies: string[] | null;
  mint_limit_per_day: Record<string, string>;
  changed_at: string;
}

export interface AppEventMap {
  AppRegistered: AppRegistered;
  ApiKeyIssued: ApiKeyIssued;
  ApiKeyRevoked: ApiKeyRevoked;
  AppSettingsChanged: AppSettingsChanged;
}

/** Internal: the gateway tails them from the store; ApiKeyIssued holds the key's hash. */
export const APP_INTERNAL_EVENT_TYPES = ['ApiKeyIssued', 'ApiKeyRevoked'] as const satisfies readonly (keyof AppEventMap)[];
