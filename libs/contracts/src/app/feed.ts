/** The feed's JSON Schema of the app's one public event (the key events are internal: events.ts). */
import { currentRecord, FEED_VALUES as V, type FeedEventEntry } from '../events/feed-values';
import { MAX_APP_NAME_LENGTH } from '../values/name';
import { APP_SCOPE_SCHEMA } from '../values/app-scope';
import { MAX_APP_SETTING_CURRENCIES } from './commands';
import type { APP_INTERNAL_EVENT_TYPES, AppEventMap, AppRegistered, AppSettingsChanged } from './events';

export const APP_FEED = {
  AppRegistered: {
    summary: 'An app (game) was registered; its house account exists from now on.',
    versions: { 1: currentRecord<AppRegistered>({ app_id: V.appId, name: V.text(MAX_APP_NAME_LENGTH, 1), registered_at: V.time }) },
  },
  AppSettingsChanged: {
    summary: 'An admin changed what an app may do: its scopes and currencies (null: every one) and its daily mint limits, as they are from now on.',
    versions: {
      1: currentRecord<AppSettingsChanged>({
        app_id: V.appId,
        scopes: V.nullable({ type: 'array', items: APP_SCOPE_SCHEMA, uniqueItems: true }),
        currencies: V.nullable({ type: 'array', items: V.currency, uniqueItems: true, maxItems: MAX_APP_SETTING_CURRENCIES }),
        mint_limit_per_day: {
          type: 'object',
          propertyNames: V.currency,
          additionalProperties: V.amount,
          maxProperties: MAX_APP_SETTING_CURRENCIES,
        },
        changed_at: V.time,
      }),
    },
  },
} satisfies Record<Exclude<keyof AppEventMap, (typeof APP_INTERNAL_EVENT_TYPES)[number]>, FeedEventEntry>;
