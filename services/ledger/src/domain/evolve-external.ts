/**
 * evolve for external accounts, withdrawals and deposits (decide-external.ts): their own events
 * keep the accounts and the waiting requests; the held transactions are folded by evolve.ts like
 * every transaction.
 */
import type { LedgerEvent } from '@coffer/contracts';
import { assertInvariant } from '@coffer/decider';
import type { LedgerState } from './state';

export type ExternalEvent = Extract<
  LedgerEvent,
  {
    type:
      | 'ExternalAccountLinked'
      | 'ExternalAccountUnlinked'
      | 'WithdrawalRequested'
      | 'WithdrawalAccepted'
      | 'WithdrawalDeclined'
      | 'DepositRequested'
      | 'DepositAccepted'
      | 'DepositDeclined';
  }
>;

export function applyExternal(state: LedgerState, event: ExternalEvent): void {
  const external = state.external;
  switch (event.type) {
    case 'ExternalAccountLinked': {
      const { app_id: _app, ...account } = event.data;
      assert(!external.accounts.has(account.external_account_id), `external account ${account.external_account_id} linked twice`);
      external.link(account);
      return;
    }
    case 'ExternalAccountUnlinked':
      assert(external.unlink(event.data.external_account_id) !== undefined, `external account ${event.data.external_account_id} is not linked`);
      return;
    case 'WithdrawalRequested': {
      const { withdrawal_id: id, status: _status, ...rest } = event.data;
      assert(!external.withdrawals.byId.has(id) && id >= external.withdrawals.nextId, `withdrawal ${id} requested twice`);
      external.withdrawals.add({ id, ...rest });
      return;
    }
    case 'DepositRequested': {
      const { deposit_id: id, status: _status, ...rest } = event.data;
      assert(!external.deposits.byId.has(id) && id >= external.deposits.nextId, `deposit ${id} requested twice`);
      external.deposits.add({ id, ...rest });
      return;
    }
    case 'WithdrawalAccepted':
    case 'WithdrawalDeclined':
      assert(external.withdrawals.remove(event.data.withdrawal_id) !== undefined, `withdrawal ${event.data.withdrawal_id} is not waiting`);
      return;
    case 'DepositAccepted':
    case 'DepositDeclined':
      assert(external.deposits.remove(event.data.deposit_id) !== undefined, `deposit ${event.data.deposit_id} is not waiting`);
      return;
  }
}

function assert(condition: boolean, message: string): asserts condition {
  assertInvariant('ledger', condition, message);
}
