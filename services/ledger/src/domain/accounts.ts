/**
 * Ledger accounts: their names are a value of the contracts (AccountId: wallets that may never
 * go negative, and the issuers that may, the houses and the treasury); their balances are here.
 */
export { houseAccount, isUserAccount, TREASURY, userAccount } from '@coffer/contracts';

/** One account's money in one currency. available = posted − pendingDebit. */
export interface Balance {
  posted: bigint;
  pendingDebit: bigint;
  pendingCredit: bigint;
}

export const available = (balance: Balance) => balance.posted - balance.pendingDebit;

export const balanceKey = (account: string, currency: string) => `${account}|${currency}`;
