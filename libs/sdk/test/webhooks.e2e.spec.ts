/**
 * coffer.webhooks against the real stack (gateway, ledger, notifier over PostgreSQL and NATS):
 * a webhook registered through the SDK receives a signed delivery on a real loopback socket,
 * which verifyWebhook accepts; the deliveries log iterates by cursor; refusals are typed.
 */
import { Coffer } from '../src/client';
import { NotFoundError, ValidationError } from '../src/errors';
import { verifyWebhook } from '../src/webhook';
import { WebhookReceiver } from '../../../services/notifier/test/webhook-receiver';
import { SdkStack } from './sdk-stack';

jest.setTimeout(120000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('coffer.webhooks against the real stack', () => {
  let stack: SdkStack;
  let receiver: WebhookReceiver;
  let coffer: Coffer;

  beforeAll(async () => {
    stack = await SdkStack.start('sdk_webhooks', 60);
    const { base } = await stack.startGateway();
    receiver = await WebhookReceiver.start();
    coffer = new Coffer({ baseUrl: base, apiKey: await stack.newApp(base, 'Webhooked'), retry: { baseDelayMs: 50, maxDelayMs: 500 } });
  });

  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  it('creates, lists, delivers signed, logs by cursor and deletes', async () => {
    const hook = await coffer.webhooks.create({ url: `${receiver.url}/sdk`, events: ['transaction.posted'] });
    expect(hook).toEqual({ webhook_id: expect.any(Number), url: `${receiver.url}/sdk`, events: ['transaction.posted'], created_at: expect.any(String), secret: expect.stringMatching(/^whsec_/) });
    expect(await coffer.webhooks.list()).toEqual([{ webhook_id: hook.webhook_id, url: hook.url, events: hook.events, created_at: hook.created_at }]);

    for (const amount of [1n, 2n, 3n]) await coffer.transactions.post({ user_id: 'sdk-hooked', type: 'credit', amount });
    const deadline = Date.now() + 20000;
    while (receiver.at('/sdk').length < 3 && Date.now() < deadline) await sleep(25);
    const delivered = [];
    for (const each of receiver.at('/sdk')) delivered.push(await verifyWebhook(each.body, each.headers['coffer-signature'] as string, hook.secret));
    expect(delivered.map((d) => [d.type, (d.data as { amount: string }).amount])).toEqual([
      ['transaction.posted', '1'],
      ['transaction.posted', '2'],
      ['transaction.posted', '3'],
    ]);

    const log = [];
    for await (const delivery of coffer.webhooks.deliveries(hook.webhook_id, { limit: 2 })) log.push(delivery);
    expect(log.map((d) => [d.status, d.response_code, d.event_id])).toEqual(delivered.map((d) => ['delivered', 200, d.id]).reverse());

    await coffer.webhooks.delete(hook.webhook_id);
    expect(await coffer.webhooks.list()).toEqual([]);
    await expect(coffer.webhooks.delete(hook.webhook_id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a target the notifier may not reach with a ValidationError naming the url', async () => {
    const refused = await coffer.webhooks.create({ url: 'https://169.254.169.254/latest/meta-data', events: ['*'] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).details).toMatchObject({ fields: { url: [expect.stringMatching(/link-local/)] } });
    expect(() => coffer.webhooks.deliveries(0)).toThrow(/webhook_id/);
  });
});
