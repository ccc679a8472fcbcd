/**
 * Coffer's webhook deliveries to the game: verified with the SDK's verifyWebhook (the signature
 * covers the raw bytes, so they are checked before any JSON parsing), then logged. The ones a
 * game cares about here: a round that died with the server (`event.expired`, and the stake's
 * `transaction.voided`: the player was refunded) and a player's `achievement.unlocked`.
 *
 * Coffer delivers at least once, so a delivery id seen before is acknowledged and not acted on
 * again; the memory of ids is bounded (the oldest forgotten first).
 */
import { verifyWebhook, WebhookVerificationError, type WebhookDelivery } from '@coffer/sdk';
import { GameError } from './errors';

export interface WebhookReceiverOptions {
  /** The webhook's secret; none yet: deliveries are refused until useSecret (main.ts registers the webhook after listening). */
  secret?: string;
  log: (line: string) => void;
  /** Delivery ids remembered against duplicates (default 10,000). */
  remembered?: number;
  /** Accepted clock difference in seconds (default the SDK's 300). */
  toleranceSeconds?: number;
}

type Data = Record<string, unknown>;

export class WebhookReceiver {
  private readonly seen = new Set<string>();
  private secret: string | undefined;

  constructor(private readonly options: WebhookReceiverOptions) {
    this.secret = options.secret;
  }

  /** Whether there is a secret to verify deliveries with. */
  get enabled(): boolean {
    return this.secret !== undefined;
  }

  useSecret(secret: string): void {
    this.secret = secret;
  }

  /** Verifies and handles one delivery; throws a 400 GameError for anything not signed by Coffer. */
  async receive(rawBody: Buffer, signature: string | undefined): Promise<void> {
    if (this.secret === undefined) throw new GameError(404, 'NOT_FOUND', 'webhooks are off: no webhook secret');
    let delivery: WebhookDelivery<Data>;
    try {
      delivery = await verifyWebhook<Data>(new Uint8Array(rawBody), signature, this.secret, {
        toleranceSeconds: this.options.toleranceSeconds,
      });
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      this.options.log(`webhook refused: ${error.reason} (${error.message})`);
      throw new GameError(400, 'WEBHOOK_REFUSED', error.message, { reason: error.reason });
    }
    const id = String(delivery.id);
    if (this.seen.has(id)) {
      this.options.log(`webhook ${id}: ${delivery.type} again (already handled)`);
      return;
    }
    this.remember(id);
    this.options.log(`webhook ${id}: ${describeDelivery(delivery)}`);
  }

  private remember(id: string): void {
    this.seen.add(id);
    // A Set iterates in insertion order: the first value is the oldest.
    if (this.seen.size > (this.options.remembered ?? 10_000)) this.seen.delete(this.seen.values().next().value as string);
  }
}

/** One line a person running the table understands. */
export function describeDelivery(delivery: WebhookDelivery<Data>): string {
  const data = delivery.data ?? {};
  switch (delivery.type) {
    case 'event.expired':
      return `event.expired: round ${data.event_id} was never closed (did the game crash?); Coffer voided what it left pending`;
    case 'transaction.voided':
      return `transaction.voided: the ${data.type} of ${data.amount} ${data.currency} for ${data.user_id} in round ${data.event_id} was voided (a bet refunded)`;
    case 'achievement.unlocked':
      return `achievement.unlocked: ${data.user_id} unlocked ${data.key}`;
    default:
      return `${delivery.type} (not used by this game)`;
  }
}
