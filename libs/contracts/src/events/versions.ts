/** The catalog of domain event types: each one's current schema version and its context. */
import type { EventContext } from '../envelope';
import type { AchievementEventType } from './achievements';
import type { LedgerEventType } from './ledger';

export type DomainEventType = LedgerEventType | AchievementEventType;

/**
 * Current schema version of each event type; every event is written with it in its metadata,
 * and every reader reads the store through upcast() (upcast.ts), which brings older versions
 * and names to these.
 */
export const EVENT_SCHEMA_VERSIONS: Record<DomainEventType, number> = {
  WriterTermStarted: 1,
  CommandRefused: 1,
  AppRegistered: 1,
  ApiKeyIssued: 1,
  ApiKeyRevoked: 1,
  AppSettingsChanged: 1,
  AllowanceSet: 1,
  AllowanceRemoved: 1,
  AllowanceClaimed: 1,
  EventOpened: 1,
  Pinged: 1,
  TransactionPending: 3,
  TransactionPosted: 3,
  TransactionVoided: 2,
  EventClosed: 2,
  EventExpired: 2,
  EventAborted: 1,
  ExternalAccountLinked: 1,
  ExternalAccountUnlinked: 1,
  WithdrawalRequested: 1,
  WithdrawalAccepted: 1,
  WithdrawalDeclined: 1,
  DepositRequested: 1,
  DepositReferenceRecorded: 1,
  DepositAccepted: 1,
  DepositDeclined: 1,
  AchievementRegistered: 1,
  AchievementUpdated: 1,
  ProgressRecorded: 1,
  AchievementUnlocked: 1,
  RewardGranted: 1,
  RewardWithheld: 1,
  AchievementCommandRefused: 1,
};

const ACHIEVEMENT_TYPES: ReadonlySet<string> = new Set<AchievementEventType>([
  'AchievementRegistered',
  'AchievementUpdated',
  'ProgressRecorded',
  'AchievementUnlocked',
  'RewardGranted',
  'RewardWithheld',
  'AchievementCommandRefused',
]);

export function isDomainEventType(type: string): type is DomainEventType {
  return Object.prototype.hasOwnProperty.call(EVENT_SCHEMA_VERSIONS, type);
}

/** The bounded context that owns an event type (it names the analytics subject). */
export function contextOf(type: DomainEventType): EventContext {
  return ACHIEVEMENT_TYPES.has(type) ? 'achievements' : 'ledger';
}
