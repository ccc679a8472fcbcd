/** The feed's JSON Schema of the app's one public event (the key events are internal: events.ts). */
import { currentRecord, FEED_VALUES as V, type FeedEventEntry } from '../events/feed-values';
import { MAX_APP_NAME_LENGTH } from '../values/name';
import type { APP_INTERNAL_EVENT_TYPES, AppEventMap, AppRegistered } from './events';

export const APP_FEED = {
  AppRegistered: {
    summary: 'An app (game) was registered; its house account exists from now on.',
    versions: { 1: currentRecord<AppRegistered>({ app_id: V.appId, name: V.text(MAX_APP_NAME_LENGTH, 1), registered_at: V.time }) },
  },
} satisfies Record<Exclude<keyof AppEventMap, (typeof APP_INTERNAL_EVENT_TYPES)[number]>, FeedEventEntry>;
