/**
 * What the ledger keeps of the world outside its books: each user's linked external accounts
 * and the withdrawals and deposits waiting for an operator. Decided ones are forgotten (they
 * live in the read models): only what a later command may change is kept, and each user's share
 * is capped (MAX_EXTERNAL_ACCOUNTS_PER_USER, MAX_WAITING_*_PER_USER), so this stays bounded per
 * user in memory and in every snapshot.
 */
import type { ExternalAccountKind } from '@coffer/contracts';

export interface ExternalAccountState {
  external_account_id: number;
  user_id: string;
  kind: ExternalAccountKind;
  label: string;
  /** Kept to refuse the same account linked twice by one user (the reference itself never reaches the ledger). */
  reference_hash: string;
  reference_last4: string;
  linked_at: string;
}

/** A withdrawal or deposit waiting for an operator: the id is its withdrawal_id or deposit_id. */
export interface WaitingRequest {
  id: number;
  transaction_id: number;
  user_id: string;
  app_id: string | null;
  external_account_id: number;
  amount: string;
  currency: string;
  requested_at: string;
  /** Deposits only: the last 4 characters of the payment's reference. */
  reference_last4?: string;
  /** Deposits only, and only those requested since payment references are kept: its keyed hash. */
  reference_hash?: string;
}

/** The waiting requests of one kind, with the per-user index the caps and unlinking read. */
export class WaitingRequests {
  /** The next id to give (ids below it were given: not waiting any more means decided). */
  nextId = 1;
  readonly byId = new Map<number, WaitingRequest>();
  private readonly ofUser = new Map<string, Set<number>>();

  add(request: WaitingRequest): void {
    this.byId.set(request.id, request);
    let ids = this.ofUser.get(request.user_id);
    if (!ids) this.ofUser.set(request.user_id, (ids = new Set()));
    ids.add(request.id);
    this.nextId = Math.max(this.nextId, request.id + 1);
  }

  remove(id: number): WaitingRequest | undefined {
    const request = this.byId.get(id);
    if (!request) return undefined;
    this.byId.delete(id);
    const ids = this.ofUser.get(request.user_id);
    ids?.delete(id);
    if (ids?.size === 0) this.ofUser.delete(request.user_id);
    return request;
  }

  countOf(userId: string): number {
    return this.ofUser.get(userId)?.size ?? 0;
  }

  /** Whether any of the user's waiting requests goes to (or comes from) this external account. */
  usesAccount(userId: string, externalAccountId: number): boolean {
    for (const id of this.ofUser.get(userId) ?? []) if (this.byId.get(id)?.external_account_id === externalAccountId) return true;
    return false;
  }
}

export class ExternalState {
  nextExternalAccountId = 1;
  readonly accounts = new Map<number, ExternalAccountState>();
  private readonly accountsOfUser = new Map<string, Set<number>>();
  readonly withdrawals = new WaitingRequests();
  readonly deposits = new WaitingRequests();
  /**
   * Payment reference hash → the deposit that reported it, waiting or accepted: a payment is
   * reported once. Grows with accepted deposits, each checked by an operator by hand, so by
   * what people verify (a hundred bytes each), not by what traffic can send.
   */
  readonly depositReferences = new Map<string, number>();

  link(account: ExternalAccountState): void {
    this.accounts.set(account.external_account_id, account);
    let ids = this.accountsOfUser.get(account.user_id);
    if (!ids) this.accountsOfUser.set(account.user_id, (ids = new Set()));
    ids.add(account.external_account_id);
    this.nextExternalAccountId = Math.max(this.nextExternalAccountId, account.external_account_id + 1);
  }

  unlink(id: number): ExternalAccountState | undefined {
    const account = this.accounts.get(id);
    if (!account) return undefined;
    this.accounts.delete(id);
    const ids = this.accountsOfUser.get(account.user_id);
    ids?.delete(id);
    if (ids?.size === 0) this.accountsOfUser.delete(account.user_id);
    return account;
  }

  /** The user's linked accounts, oldest first. */
  accountsOf(userId: string): ExternalAccountState[] {
    return [...(this.accountsOfUser.get(userId) ?? [])].sort((a, b) => a - b).map((id) => this.accounts.get(id) as ExternalAccountState);
  }

  /** The user's account with this id, or undefined (another user's account does not exist for them). */
  accountOf(userId: string, id: number): ExternalAccountState | undefined {
    const account = this.accounts.get(id);
    return account?.user_id === userId ? account : undefined;
  }
}

/** The external state as a snapshot holds it: lists (the per-user indexes are rebuilt on restore). */
export interface ExternalSnapshot {
  nextExternalAccountId: number;
  accounts: ExternalAccountState[];
  nextWithdrawalId: number;
  withdrawals: WaitingRequest[];
  nextDepositId: number;
  deposits: WaitingRequest[];
  /** [reference hash, deposit id] of every waiting or accepted deposit that has one. */
  depositReferences: Array<[string, number]>;
}

export function externalSnapshot(external: ExternalState): ExternalSnapshot {
  return {
    nextExternalAccountId: external.nextExternalAccountId,
    accounts: [...external.accounts.values()],
    nextWithdrawalId: external.withdrawals.nextId,
    withdrawals: [...external.withdrawals.byId.values()],
    nextDepositId: external.deposits.nextId,
    deposits: [...external.deposits.byId.values()],
    depositReferences: [...external.depositReferences],
  };
}

export function restoreExternal(external: ExternalState, snapshot: ExternalSnapshot): void {
  for (const account of snapshot.accounts) external.link(account);
  for (const request of snapshot.withdrawals) external.withdrawals.add(request);
  for (const request of snapshot.deposits) external.deposits.add(request);
  for (const [hash, depositId] of snapshot.depositReferences) external.depositReferences.set(hash, depositId);
  external.nextExternalAccountId = snapshot.nextExternalAccountId;
  external.withdrawals.nextId = snapshot.nextWithdrawalId;
  external.deposits.nextId = snapshot.nextDepositId;
}
