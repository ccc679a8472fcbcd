/**
 * Ledger accounts. Users hold wallets (`user:<id>`) that may never go negative; each app has a
 * house account (`house:<app_id>`) and the realm a treasury: issuers, which may.
 */
export const TREASURY = 'treasury';
export const userAccount = (userId: string) => `user:${userId}`;
export const houseAccount = (appId: string) => `house:${appId}`;
export const isUserAccount = (account: string) => account.startsWith('user:');

/** One account's money in one currency. available = posted − pendingDebit. */
export interface Balance {
  posted: bigint;
  pendingDebit: bigint;
  pendingCredit: bigint;
}

export const available = (balance: Balance) => balance.posted - balance.pendingDebit;

export const balanceKey = (account: string, currency: string) => `${account}|${currency}`;
