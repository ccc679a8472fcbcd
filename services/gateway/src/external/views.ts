/** Ledger and read-model replies shaped as API.md shows them (exactly their fields). */
import type { DepositReply, ExternalAccountReply, WithdrawalReply } from '@coffer/contracts';
import type { DepositView, ExternalAccountView, WithdrawalView } from '@coffer/contracts/http';

export function externalAccountView(account: ExternalAccountReply): ExternalAccountView {
  const { external_account_id, kind, label, reference_last4, created_at } = account;
  return { external_account_id, kind, label, reference_last4, created_at };
}

export function withdrawalView(withdrawal: WithdrawalReply): WithdrawalView {
  const { withdrawal_id, transaction_id, user_id, external_account_id, amount, currency, status, requested_at, decided_at, reason } = withdrawal;
  return { withdrawal_id, transaction_id, user_id: String(user_id), external_account_id, amount: String(amount), currency, status, requested_at, decided_at, reason };
}

export function depositView(deposit: DepositReply): DepositView {
  const { deposit_id, transaction_id, user_id, external_account_id, reference_last4, amount, currency, status, requested_at, decided_at, reason } = deposit;
  return {
    deposit_id,
    transaction_id,
    user_id: String(user_id),
    external_account_id,
    reference_last4,
    amount: String(amount),
    currency,
    status,
    requested_at,
    decided_at,
    reason,
  };
}
