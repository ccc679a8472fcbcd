/**
 * What travels on the ledger's subjects: the commands the gateway (and the achievements service,
 * for rewards) sends it (PATTERNS.ledgerCommands) and the queries it answers from its in-memory
 * state (PATTERNS.ledgerQueries), composed from the concepts the ledger owns (../app,
 * ../finance-event, ../finance-transaction, ../balance), which define each command and reply.
 * Each request's meta carries command_id (dedupe) and the caller.
 */
import type { AppCommand, AppQuery } from '../app/commands';
import type { GetBalance } from '../balance/commands';
import type { FinanceEventCommand, GetFinanceEvent } from '../finance-event/commands';
import type { TransactionCommand } from '../finance-transaction/commands';
import type { DepositCommand } from '../deposit/commands';
import type { ExternalAccountCommand, ListExternalAccounts } from '../external-account/commands';
import type { WithdrawalCommand } from '../withdrawal/commands';

export type LedgerCommand = AppCommand | FinanceEventCommand | TransactionCommand | ExternalAccountCommand | WithdrawalCommand | DepositCommand;

export type LedgerCommandType = LedgerCommand['type'];

/** Envelope of a command: the request hash lets the ledger refuse a reused idempotency key. */
export interface LedgerCommandBody {
  command: LedgerCommand;
  /** SHA-256 of what the client sent (method, route, body): same key + other body = reuse. */
  request_hash: string | null;
}

export type LedgerQuery = GetBalance | GetFinanceEvent | AppQuery | ListExternalAccounts;
