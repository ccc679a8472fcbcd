/**
 * The finance event's domain events (a round of a game, not a stored domain event: the names
 * are the design card's). Times ISO-8601; versions in ../events/versions.ts, schemas in feed.ts.
 */

export interface EventOpened {
  event_id: number;
  app_id: string;
  description: string | null;
  opened_at: string;
  expires_at: string;
}

/** A ping: the finance event stays open until `expires_at`. Stored as `EventPinged` before v2 stores. */
export interface Pinged {
  event_id: number;
  pinged_at: string;
  expires_at: string;
}

/**
 * The finance event closed (v2). Closing posts whatever of it is still pending: in a store
 * written since v2 the TransactionPosted events before it already did; v1 listed the ids
 * (`posted_transaction_ids`), which the upcaster drops, since the rule gives the same fold.
 */
export interface EventClosed {
  event_id: number;
  closed_at: string;
}

/**
 * The finance event expired (no ping within the timeout; v2). Expiry voids whatever of it is
 * still pending: TransactionVoided events before it did in a v2 store (v1 listed
 * `voided_transaction_ids`, dropped by the upcaster).
 */
export interface EventExpired {
  event_id: number;
  expired_at: string;
}

/**
 * The app aborted the finance event (the round was cancelled, the game crashed): like an expiry,
 * only now, it voids whatever is still pending, each with its TransactionVoided (reason
 * 'aborted') in the same append and before it.
 */
export interface EventAborted {
  event_id: number;
  aborted_at: string;
}

export interface FinanceEventEventMap {
  EventOpened: EventOpened;
  Pinged: Pinged;
  EventClosed: EventClosed;
  EventExpired: EventExpired;
  EventAborted: EventAborted;
}
