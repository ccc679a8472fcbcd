/**
 * External accounts' domain events. Both are internal (never on the feed): ExternalAccountLinked
 * carries the reference's keyed hash, which only the ledger needs (to tell the same account
 * linked twice), and an unlink alone would say nothing to a reader who never saw the link.
 */
import type { ExternalAccountKind } from '../values/external-account';

export interface ExternalAccountLinked {
  external_account_id: number;
  user_id: string;
  /** The app that linked it for the user (null: the admin). */
  app_id: string | null;
  kind: ExternalAccountKind;
  label: string;
  /** HMAC-SHA256 of the reference (hex): the reference itself is never stored. */
  reference_hash: string;
  reference_last4: string;
  linked_at: string;
}

export interface ExternalAccountUnlinked {
  external_account_id: number;
  user_id: string;
  unlinked_at: string;
}

export interface ExternalAccountEventMap {
  ExternalAccountLinked: ExternalAccountLinked;
  ExternalAccountUnlinked: ExternalAccountUnlinked;
}

export const EXTERNAL_ACCOUNT_INTERNAL_EVENT_TYPES = ['ExternalAccountLinked', 'ExternalAccountUnlinked'] as const satisfies readonly (keyof ExternalAccountEventMap)[];
