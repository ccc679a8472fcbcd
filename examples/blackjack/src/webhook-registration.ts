/**
 * Registers the table's /coffer/webhooks with Coffer at start-up (`coffer.webhooks.create`), for
 * the deliveries the table logs. Coffer shows a webhook's secret only when it is created, so a
 * webhook an earlier run registered at the same URL is useless to this one: it is deleted and
 * registered again (otherwise every restart would leave one more webhook delivering to nobody).
 */
import { NotFoundError, type Coffer } from '@coffer/sdk';

export const GAME_EVENTS = ['transaction.voided', 'event.expired', 'achievement.unlocked'] as const;

/** Answers the new webhook's id and secret. */
export async function registerWebhook(coffer: Coffer, url: string): Promise<{ webhookId: number; secret: string }> {
  for (const webhook of await coffer.webhooks.list()) {
    if (webhook.url !== url) continue;
    // Gone already (a retried delete whose first answer was lost): what we wanted.
    await coffer.webhooks.delete(webhook.webhook_id).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
  }
  const created = await coffer.webhooks.create({ url, events: [...GAME_EVENTS] });
  return { webhookId: created.webhook_id, secret: created.secret };
}
