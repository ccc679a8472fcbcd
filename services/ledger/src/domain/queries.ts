/** Answers to ledger queries, read from the writer's exact state. */
import type {
  ApiKeyEntry,
  AppsReply,
  BalanceLine,
  BalanceReply,
  ExternalAccountsReply,
  FinanceEventDetails,
  GetEventReply,
  LedgerQuery,
  Reply,
} from '@coffer/contracts';
import { appNumberOf, MAX_APPS_PER_PAGE, refusal } from '@coffer/contracts';
import { available, userAccount } from './accounts';
import type { LedgerState } from './state';

export function answer(state: LedgerState, query: LedgerQuery, position: string): Reply<unknown> {
  switch (query.type) {
    case 'GetBalance':
      return { ok: true, result: balanceOfUser(state, query.user_id) };
    case 'GetEvent':
      return eventOf(state, query.event_id, query.app_id, position);
    case 'ListApiKeys': {
      const keys: ApiKeyEntry[] = [];
      for (const app of state.apps.values()) {
        for (const [key_id, key] of app.keys) {
          keys.push({ app_id: app.app_id, key_id, key_hash: key.key_hash, revoked: key.revoked_at !== null });
        }
      }
      return { ok: true, result: { keys, position } };
    }
    case 'ListApps': {
      // Apps are numbered in the order they were registered, which is the map's order.
      const after = query.after === undefined ? 0 : appNumberOf(query.after);
      const limit = Math.max(1, Math.min(query.limit ?? MAX_APPS_PER_PAGE, MAX_APPS_PER_PAGE));
      const page = [...state.apps.values()].filter((app) => appNumberOf(app.app_id) > after).slice(0, limit + 1);
      const more = page.length > limit;
      const data: AppsReply['data'] = page.slice(0, limit).map((app) => ({
        app_id: app.app_id,
        name: app.name,
        created_at: app.created_at,
        keys: [...app.keys].map(([key_id, key]) => ({
          app_id: app.app_id,
          key_id,
          created_at: key.created_at,
          revoked_at: key.revoked_at,
        })),
      }));
      return { ok: true, result: { data, next_cursor: more ? data[data.length - 1].app_id : null } satisfies AppsReply };
    }
    case 'ListExternalAccounts': {
      // The reference's hash stays in the ledger: the reply shows only its last 4 characters.
      const data = state.external.accountsOf(query.user_id).map(({ external_account_id, user_id, kind, label, reference_last4, linked_at }) => ({
        external_account_id,
        user_id,
        kind,
        label,
        reference_last4,
        created_at: linked_at,
      }));
      return { ok: true, result: { user_id: query.user_id, data } satisfies ExternalAccountsReply };
    }
    default:
      return refusal('VALIDATION_FAILED', 'unknown query');
  }
}

/**
 * An open event in full; a settled one as a pointer to the read models, which hold it from
 * `position` (the writer's position now, at or after its settlement) on.
 */
function eventOf(state: LedgerState, eventId: number, appId: string | null, position: string): Reply<GetEventReply> {
  const finance = state.openEvents.get(eventId);
  if (finance && (appId === null || finance.app_id === appId)) {
    const details: FinanceEventDetails = {
      event_id: finance.event_id,
      app_id: finance.app_id,
      description: finance.description,
      status: 'open',
      opened_at: finance.opened_at,
      last_ping_at: finance.last_ping_at,
      expires_at: new Date(finance.expires_at_ms).toISOString(),
      closed_at: null,
      expired_at: null,
      aborted_at: null,
      transactions: finance.transactions.map((transaction) => ({ ...transaction })),
    };
    return { ok: true, result: details };
  }
  const settled = state.settledEvents.get(eventId);
  if (settled && (appId === null || settled.app_id === appId)) {
    return { ok: true, result: { settled: true, event_id: eventId, status: settled.status, position } };
  }
  return refusal('NOT_FOUND', `event ${eventId} does not exist`);
}


export function balanceOfUser(state: LedgerState, userId: string): BalanceReply {
  const prefix = `${userAccount(userId)}|`;
  const balances: BalanceLine[] = [];
  // A wallet's currencies are few; a full scan of all balances would not be, so look up by key.
  for (const currency of state.currenciesOf.get(userAccount(userId)) ?? []) {
    const balance = state.balances.get(prefix + currency);
    if (!balance) continue;
    balances.push({
      currency,
      available: available(balance).toString(),
      posted: balance.posted.toString(),
      pending_debit: balance.pendingDebit.toString(),
      pending_credit: balance.pendingCredit.toString(),
    });
  }
  return { user_id: userId, balances };
}
