import type { ReverseTransaction } from '@coffer/contracts';
import type { ReverseTransactionDto } from '@coffer/contracts/http';
import { descriptionOrNull, exactAmount } from '../http/normalize';

/** The reversal both routes (an app's and the admin's) ask the ledger for; no amount: all that is left. */
export function reversalRequest(transactionId: number, body: ReverseTransactionDto | undefined): ReverseTransaction['data'] {
  const amount = body?.amount;
  return {
    transaction_id: transactionId,
    amount: amount === undefined || amount === null ? null : exactAmount(amount),
    description: descriptionOrNull(body?.description),
  };
}
