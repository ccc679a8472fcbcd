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
      | 'DepositReferenceRecorded'
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
    case 'DepositReferenceRecorded': {
      const { deposit_id, reference_hash } = event.data;
      const waiting = external.deposits.byId.get(deposit_id);
      assert(waiting !== undefined, `deposit ${deposit_id} is not waiting`);
      assert(!external.depositReferences.has(reference_hash), `deposit ${deposit_id} reports a payment deposit ${external.depositReferences.get(reference_hash)} reported`);
      waiting.reference_hash = reference_hash;
      external.depositReferences.set(reference_hash, deposit_id);
      return;
    }
    case 'WithdrawalAccepted':
    case 'WithdrawalDeclined':
      assert(external.withdrawals.remove(event.data.withdrawal_id) !== undefined, `withdrawal ${event.data.withdrawal_id} is not waiting`);
      return;
    case 'DepositAccepted':
    case 'DepositDeclined': {
      const decided = external.deposits.remove(event.data.deposit_id);
      assert(decided !== undefined, `deposit ${event.data.deposit_id} is not waiting`);
      // Declined: the payment was not found, and may yet arrive. Accepted: its reference stays taken.
      if (event.type === 'DepositDeclined' && decided.reference_hash !== undefined) external.depositReferences.delete(decided.reference_hash);
      return;
    }
  }
}

function assert(condition: boolean, message: string): asserts condition {
  assertInvariant('ledger', condition, message);
}
