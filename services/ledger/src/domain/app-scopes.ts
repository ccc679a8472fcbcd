/**
 * Which scope each ledger command needs of the app it acts for: one line per command type, so a
 * new command is one more line here (and fails to compile until it has its line). `admin`:
 * only the admin sends it (no app); the others name the AppScope an app's settings must hold.
 * `finance:read` guards the gateway's reads, which never reach the writer.
 */
import type { AppScope, LedgerCommandType } from '@coffer/contracts';

export const COMMAND_SCOPES: Record<LedgerCommandType, AppScope | 'admin'> = {
  RegisterApp: 'admin',
  IssueApiKey: 'admin',
  RevokeApiKey: 'admin',
  ChangeAppSettings: 'admin',
  Grant: 'admin',
  SetAllowance: 'admin',
  RemoveAllowance: 'admin',
  OpenEvent: 'finance:write',
  PingEvent: 'finance:write',
  CloseEvent: 'finance:write',
  PostTransaction: 'finance:write',
  ClaimAllowance: 'finance:write',
  AbortEvent: 'finance:write',
  // An app reverses its own transactions; the admin may reverse any (decide.ts authorizes it before the admin check).
  ReverseTransaction: 'finance:write',
  Transfer: 'transfers',
  // Sent by the achievements service for the app whose achievement was unlocked.
  PayReward: 'achievements',
  // An app moves money between its users' wallets and the world outside (withdrawals.md).
  LinkExternalAccount: 'withdrawals',
  UnlinkExternalAccount: 'withdrawals',
  RequestWithdrawal: 'withdrawals',
  RequestDeposit: 'withdrawals',
  // An operator verifies what an app asked for.
  AcceptWithdrawal: 'admin',
  DeclineWithdrawal: 'admin',
  AcceptDeposit: 'admin',
  DeclineDeposit: 'admin',
};

/** The commands only the admin sends. */
export const isAdminCommand = (type: LedgerCommandType): boolean => COMMAND_SCOPES[type] === 'admin';
