/**
 * Reversing a posted transaction (API.md "Money operations beyond seed 000"): a new posted
 * transaction of type 'reversal' moves the amount (default: all that is left) back from the
 * original's credit account to its debit account, in its currency, linked by
 * reverses_transaction_id. Never more than the original in total (LIMIT_EXCEEDED), never a
 * wallet below zero (INSUFFICIENT_FUNDS); a pending or voided transaction, a reversal, or an
 * accepted withdrawal or deposit (its money crossed `external`) cannot be reversed (CONFLICT). Only the app that made the original may, or the admin (appId null);
 * another app's transaction does not exist for the caller.
 */
import { parseAmount, userIdOfAccount, type ReverseTransaction } from '@coffer/contracts';
import { refuse, transaction, type Decision } from './decide';
import type { LedgerState } from './state';

export function reverseTransaction(state: LedgerState, command: ReverseTransaction, appId: string | null, now: string): Decision {
  const id = command.data.transaction_id;
  const mine = (owner: string | null) => appId === null || owner === appId;
  const original = state.postedTransactions.reversible.get(id);
  if (!original || !mine(original.app_id)) {
    const pending = state.pendingTransactions.get(id);
    if (pending && mine(pending.app_id)) {
      const until = pending.event_id === null ? `its ${pending.type} is decided` : 'its event has closed';
      return refuse('CONFLICT', `transaction ${id} is pending: it can be reversed once ${until}`, { status: 'pending' });
    }
    const final = state.postedTransactions.final.get(id);
    if (final && mine(final.app_id)) {
      if (final.kind === 'voided') return refuse('CONFLICT', `transaction ${id} was voided: it never moved money`, { status: 'voided' });
      if (final.kind === 'reversal') {
        return refuse('CONFLICT', `transaction ${id} is a reversal: reversals are not reversed (post a new transaction instead)`, { type: 'reversal' });
      }
      return refuse('CONFLICT', `transaction ${id} is an accepted ${final.kind}: its money crossed the external account, it is not reversed`, {
        type: final.kind,
      });
    }
    return refuse('NOT_FOUND', `transaction ${id} does not exist`);
  }
  const amount = command.data.amount === null ? original.reversible : (parseAmount(command.data.amount) as bigint);
  if (original.reversible === 0n || amount > original.reversible) {
    const message = original.reversible === 0n ? `transaction ${id} is reversed in full already` : `at most ${original.reversible} of transaction ${id} is left to reverse`;
    return refuse('LIMIT_EXCEEDED', message, {
      limit: 'reversible_amount',
      reversible: original.reversible.toString(),
      // Only what the caller asked for: with no amount it asked for "all that is left", not for 0.
      ...(command.data.amount === null ? {} : { requested: amount.toString() }),
      currency: original.currency,
    });
  }
  // The money goes back the way it came: from the original's credit account to its debit account.
  const debitUser = userIdOfAccount(original.credit_account);
  const creditUser = userIdOfAccount(original.debit_account);
  return transaction(state, {
    type: 'reversal',
    app_id: original.app_id,
    event_id: null,
    user: (debitUser ?? creditUser) as string,
    debit: original.credit_account,
    creditUser: null,
    creditAccount: original.debit_account,
    amount: amount.toString(),
    currency: original.currency,
    description: command.data.description,
    reverses_transaction_id: id,
    now,
  });
}
