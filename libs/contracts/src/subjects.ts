/**
 * Every NATS subject and JetStream stream name, built from COFFER_NATS_PREFIX so that instances
 * and test runs never mix. The realm (one community) is a token of every command subject: each
 * realm has one ledger writer, and realms can later be spread over instances by subject.
 */
import type { EventContext } from './envelope';

export const DEFAULT_NATS_PREFIX = 'coffer';
export const DEFAULT_REALM = 'default';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function assertSubjectToken(value: string, what: string): string {
  if (!TOKEN.test(value)) {
    throw new Error(`${what} must be 1-64 characters of [A-Za-z0-9_-], got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Request/reply patterns as services declare them (`@MessagePattern(PATTERNS.ledgerCommands)`).
 * The NATS transport turns a pattern into its subject: `<prefix>.` + pattern with `{realm}`
 * replaced (see subjectOf), so handler code never sees the prefix or the realm.
 */
export const PATTERNS = {
  ledgerCommands: 'ledger.{realm}.commands',
  ledgerQueries: 'ledger.{realm}.queries',
  achievementsCommands: 'achievements.{realm}.commands',
  /** Request/reply: the notifier's webhook registrations and delivery logs (apps' requests, through the gateway). */
  notifierRequests: 'notifier.{realm}.requests',
  /** The active ledger writer says who it is (WriterAnnouncement), a few times a second and on taking over. */
  ledgerWriter: 'ledger.{realm}.writer',
  health: (service: string) => `health.${service}`,
} as const;

/**
 * The patterns a ledger writer also answers on its own subject while it is active, so a sender
 * that heard its announcement reaches that writer alone: the shared subject's queue group may
 * still hold a frozen writer, which NATS notices only after minutes.
 */
export const WRITER_ROUTED_PATTERNS: readonly string[] = [PATTERNS.ledgerCommands, PATTERNS.ledgerQueries];

/** One writer's own pattern for a routed pattern: `ledger.{realm}.commands.<instance>`. */
export function writerPattern(pattern: string, instance: string): string {
  return `${pattern}.${assertSubjectToken(instance, 'writer instance')}`;
}

export function subjectOf(pattern: string, prefix: string, realm: string = DEFAULT_REALM): string {
  return `${prefix}.${pattern.replace('{realm}', assertSubjectToken(realm, 'realm'))}`;
}

export interface Subjects {
  readonly prefix: string;
  /** Request/reply: commands to the realm's ledger writer. */
  ledgerCommands(realm?: string): string;
  /** Request/reply: queries answered by the ledger from its in-memory state. */
  ledgerQueries(realm?: string): string;
  /** Request/reply: commands to the achievements service. */
  achievementsCommands(realm?: string): string;
  /** Request/reply: liveness probe of one service kind. */
  health(service: string): string;
  /** JetStream subject of one domain event on the analytics feed. */
  event(context: EventContext, type: string): string;
  /** Wildcard matching every analytics subject. */
  readonly allEvents: string;
  /** JetStream stream holding the analytics feed. */
  readonly eventsStream: string;
}

export function subjects(prefix: string = DEFAULT_NATS_PREFIX): Subjects {
  assertSubjectToken(prefix, 'COFFER_NATS_PREFIX');
  return {
    prefix,
    ledgerCommands: (realm) => subjectOf(PATTERNS.ledgerCommands, prefix, realm),
    ledgerQueries: (realm) => subjectOf(PATTERNS.ledgerQueries, prefix, realm),
    achievementsCommands: (realm) => subjectOf(PATTERNS.achievementsCommands, prefix, realm),
    health: (service) => subjectOf(PATTERNS.health(assertSubjectToken(service, 'service')), prefix),
    event: (context, type) => `${prefix}.events.${context}.${assertSubjectToken(type, 'event type')}`,
    allEvents: `${prefix}.events.>`,
    eventsStream: `${prefix.toUpperCase().replace(/-/g, '_')}_EVENTS`,
  };
}
