/**
 * The ledger context's domain events: the union of the maps of the concepts its stream holds
 * (../writer, ../app, ../finance-event, ../finance-transaction), each of which defines its
 * events' data. Current shapes; versions in versions.ts, older ones read through upcast.ts.
 */
import type { AppEventMap } from '../app/events';
import type { FinanceEventEventMap } from '../finance-event/events';
import type { TransactionEventMap } from '../finance-transaction/events';
import type { LedgerWriterEventMap } from '../writer/events';
import type { DepositEventMap } from '../deposit/events';
import type { ExternalAccountEventMap } from '../external-account/events';
import type { WithdrawalEventMap } from '../withdrawal/events';


export interface LedgerEventMap
  extends LedgerWriterEventMap,
    AppEventMap,
    FinanceEventEventMap,
    TransactionEventMap,
    ExternalAccountEventMap,
    WithdrawalEventMap,
    DepositEventMap {}

export type LedgerEventType = keyof LedgerEventMap;

export type LedgerEvent = {
  [Type in LedgerEventType]: { type: Type; data: LedgerEventMap[Type] };
}[LedgerEventType];
