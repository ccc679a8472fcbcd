/**
 * What the ledger keeps of every transaction that left pending for good, so that it can decide a
 * reversal exactly: of a posted one, whose it is, its accounts and currency and what is left to
 * reverse of it; of a voided one or a reversal (never reversed), only whose it is and which.
 *
 * Kept for every posted transaction, not a window: a reversal's limit is exact only if the
 * original is known, and a refund window would be a product rule the API does not state. The
 * cost is the record below (measured with bench/posted-memory.js: about 90 bytes of heap per
 * posted transaction with the names shared, see README "Limits"): account names, app ids and
 * currencies are shared strings (one per account, not one per transaction), the record an object
 * of six fields. The read models keep the rest (description, times).
 */
import type { AccountId, TransactionData } from '@coffer/contracts';

/**
 * A posted transaction that may still be reversed (in part). Never changed: a reversal replaces
 * it (reversed()), so a snapshot captures the records by reference at once and serialises them
 * page by page later while the writer goes on, as it does the remembered commands.
 */
export class PostedRecord {
  constructor(
    readonly app_id: string | null,
    readonly debit_account: AccountId,
    readonly credit_account: AccountId,
    readonly currency: string,
    /** The original amount less every reversal of it so far: what may still be moved back. */
    readonly reversible: bigint,
  ) {}
}

/**
 * A transaction that can never be reversed: voided, a reversal itself, or an accepted withdrawal
 * or deposit (its money crossed `external`: it left the system, or came in and may be spent
 * already; undoing either is the operator's business outside Coffer, a new transaction here).
 * One shared object per app and kind.
 */
export interface FinalRecord {
  readonly app_id: string | null;
  readonly kind: 'voided' | 'reversal' | 'withdrawal' | 'deposit';
}

const finalRecords = new Map<string, FinalRecord>();

export function finalRecord(app_id: string | null, kind: FinalRecord['kind']): FinalRecord {
  const key = `${kind}|${app_id ?? ''}`;
  let record = finalRecords.get(key);
  if (!record) finalRecords.set(key, (record = Object.freeze({ app_id, kind })));
  return record;
}

export class PostedTransactions {
  readonly reversible = new Map<number, PostedRecord>();
  readonly final = new Map<number, FinalRecord>();
  /** One string per name (account, app, currency): every record of an account shares it. */
  private readonly names = new Map<string, string>();

  /** The name as the one shared string (a name read from an event or a snapshot is a fresh one each time). */
  share<T extends string>(name: T): T {
    const shared = this.names.get(name);
    if (shared !== undefined) return shared as T;
    this.names.set(name, name);
    return name;
  }

  addPosted(id: number, app_id: string | null, debit: AccountId, credit: AccountId, currency: string, reversible: bigint): void {
    this.reversible.set(
      id,
      new PostedRecord(app_id === null ? null : this.share(app_id), this.share(debit), this.share(credit), this.share(currency), reversible),
    );
  }

  /** A transaction posted: a reversal, a withdrawal or a deposit is final, anything else reversible for its whole amount. */
  posted(data: TransactionData, amount: bigint): void {
    if (data.reverses_transaction_id !== null) this.final.set(data.transaction_id, finalRecord(data.app_id, 'reversal'));
    else if (data.type === 'withdrawal' || data.type === 'deposit') this.final.set(data.transaction_id, finalRecord(data.app_id, data.type));
    else this.addPosted(data.transaction_id, data.app_id, data.debit_account, data.credit_account, data.currency, amount);
  }

  /** `amount` of the posted transaction `id` was moved back: its record is replaced by one with that much less left. */
  reversed(id: number, record: PostedRecord, amount: bigint): void {
    this.reversible.set(id, new PostedRecord(record.app_id, record.debit_account, record.credit_account, record.currency, record.reversible - amount));
  }

  voided(data: TransactionData): void {
    this.final.set(data.transaction_id, finalRecord(data.app_id, 'voided'));
  }
}
