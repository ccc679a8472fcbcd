/**
 * Where analytics reads the feed in production NATS: a mirror of the feed's stream in an account
 * of its own. Whatever JetStream publishes for a user lands in that user's account: a consumer's
 * deliveries go to any subject its creator names, and every API answer to any reply subject the
 * request names, past the user's publish permissions. In the services' account, consumer rights
 * on the feed would let analytics make the server publish onto the command subjects, the writer
 * announcements or another user's inbox. In its own account there is nothing else to reach.
 *
 * The mirror is made by the projector, which owns the feed, through the analytics account's
 * stream API imported into the services' account for that one stream (nats-config.ts writes the
 * exports and imports); the analytics user may make consumers on it and nothing more.
 */
import { RetentionPolicy, StorageType, type StreamConfig } from 'nats';
import { subjects } from '@coffer/contracts';

/** The account of Coffer's services in the generated configuration. */
export const SERVICES_ACCOUNT = 'COFFER';
/** Analytics' own account: nothing but the mirror and the analytics user. */
export const ANALYTICS_ACCOUNT = 'ANALYTICS';

/** The prefix under which `account`'s JetStream API is imported into the other account. */
export function importedJetStreamApi(account: string): string {
  return `$JS.${account}.API`;
}

/**
 * Where the mirror's source consumer delivers, in the services' account; exported to analytics'
 * account alone. JetStream appends `.M.<random>` to it.
 */
export function mirrorDeliverPrefix(prefix: string): string {
  return `${prefix}.feed-mirror`;
}

/** The mirror: the feed's stream under the same name, so consumers read the same stream either way. */
export function mirrorConfig(prefix: string): Partial<StreamConfig> & { name: string } {
  const stream = subjects(prefix).eventsStream;
  return {
    name: stream,
    mirror: { name: stream, external: { api: importedJetStreamApi(SERVICES_ACCOUNT), deliver: mirrorDeliverPrefix(prefix) } },
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
  };
}
