/**
 * External accounts' commands, query and reply (NATS: PATTERNS.ledgerCommands and
 * PATTERNS.ledgerQueries). The gateway turns the client's `reference` into its last 4
 * characters and its HMAC-SHA256 under the deployment's reference key before anything leaves
 * it: the reference never reaches NATS, the store, a log or a read model.
 */
import type { Command } from '../envelope';
import type { ExternalAccountKind } from '../values/external-account';

/** The most external accounts one user may have linked at once (unlink one to link another). */
export const MAX_EXTERNAL_ACCOUNTS_PER_USER = 10;

export type LinkExternalAccount = Command<
  'LinkExternalAccount',
  { user_id: string; kind: ExternalAccountKind; label: string; reference_hash: string; reference_last4: string }
>;

export type UnlinkExternalAccount = Command<'UnlinkExternalAccount', { user_id: string; external_account_id: number }>;

export type ExternalAccountCommand = LinkExternalAccount | UnlinkExternalAccount;

/** A user's linked accounts, oldest first (at most MAX_EXTERNAL_ACCOUNTS_PER_USER). */
export type ListExternalAccounts = { type: 'ListExternalAccounts'; user_id: string };

export interface ExternalAccountReply {
  external_account_id: number;
  user_id: string;
  kind: ExternalAccountKind;
  label: string;
  reference_last4: string;
  created_at: string;
}

export interface ExternalAccountsReply {
  user_id: string;
  data: ExternalAccountReply[];
}
