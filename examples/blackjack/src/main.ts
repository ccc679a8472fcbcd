/**
 * `npm run blackjack`: the blackjack table against a running Coffer (`npm start`).
 *
 *   COFFER_URL             where Coffer's API answers (default http://localhost:3000)
 *   COFFER_API_KEY         the game's app key; or else
 *   COFFER_ADMIN_TOKEN     the admin token, with which the game registers itself as an app
 *   BLACKJACK_PORT         where the table listens (default 3100; 0: any free port)
 *   BLACKJACK_HOST         (default 127.0.0.1: an example is not for the open internet)
 *   BLACKJACK_SEED         shuffle every deck from this integer: reproducible hands
 *   COFFER_WEBHOOK_SECRET  the secret of a webhook already registered for this table (an earlier
 *                          run printed it); unset: the table registers its /coffer/webhooks itself
 *   BLACKJACK_WEBHOOK_URL  the URL Coffer delivers to (default http://<host>:<port>/coffer/webhooks)
 *
 * There is deliberately no graceful shutdown: stopping the table (Ctrl-C, a kill, a crash) leaves
 * every round in play unclosed, and Coffer refunds each one when its event expires.
 */
import { Coffer, ValidationError } from '@coffer/sdk';
import type { AddressInfo } from 'node:net';
import { registerApp } from './app-key';
import { createGameServer } from './http-server';
import { Table } from './table';
import { WebhookReceiver } from './webhook-receiver';
import { registerWebhook } from './webhook-registration';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function integerSetting(name: string, fallback?: number): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^[0-9]{1,9}$/.test(value)) fail(`${name} must be a whole number below 10^9, not ${JSON.stringify(value)}`);
  return Number(value);
}

async function main(): Promise<void> {
  const baseUrl = process.env.COFFER_URL || 'http://localhost:3000';
  const port = integerSetting('BLACKJACK_PORT', 3100)!;
  if (port > 65535) fail('BLACKJACK_PORT must be at most 65535');
  const host = process.env.BLACKJACK_HOST || '127.0.0.1';
  const seed = integerSetting('BLACKJACK_SEED');

  let apiKey = process.env.COFFER_API_KEY;
  if (!apiKey) {
    const adminToken = process.env.COFFER_ADMIN_TOKEN;
    if (!adminToken) {
      fail(
        'The table needs a Coffer app key: set COFFER_API_KEY, or COFFER_ADMIN_TOKEN (the admin token `npm start` ' +
          'printed at its first start) and the table registers itself as an app.',
      );
    }
    const app = await registerApp({ baseUrl, adminToken, name: 'Blackjack' });
    apiKey = app.apiKey;
    // Shown once, as Coffer shows it once: the next start can reuse the app instead of making another.
    console.log(`Registered the app ${app.appId}; to reuse it next time: COFFER_API_KEY=${apiKey}`);
  }

  const coffer = new Coffer({ baseUrl, apiKey });
  const table = new Table({ coffer, seed });
  const secret = process.env.COFFER_WEBHOOK_SECRET || undefined;
  const webhooks = new WebhookReceiver({ secret, log: (line) => console.log(line) });
  const server = createGameServer({ table, webhooks });
  server.on('error', (error) => fail(`The table cannot listen on ${host}:${port}: ${error.message}`));
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  // Registered once listening (its URL needs the port), before the table takes a bet: a round's
  // expiry is then always delivered.
  if (!secret) await listenForWebhooks(coffer, webhooks, process.env.BLACKJACK_WEBHOOK_URL || `http://${host}:${bound}/coffer/webhooks`, bound);
  console.log(`Blackjack is up: http://${host}:${bound} (Coffer at ${baseUrl}${seed === undefined ? '' : `, seed ${seed}`})`);
}

/** Registers the table's webhook; a refusal (a loopback URL Coffer may not deliver to) only turns webhooks off. */
async function listenForWebhooks(coffer: Coffer, webhooks: WebhookReceiver, url: string, port: number): Promise<void> {
  try {
    const { webhookId, secret } = await registerWebhook(coffer, url);
    webhooks.useSecret(secret);
    // Shown once, as Coffer shows it once: a restarted table given it keeps receiving the
    // deliveries Coffer retries meanwhile (a crashed round's expiry among them).
    console.log(`Registered webhook ${webhookId} at ${url}; to keep it across restarts: COFFER_WEBHOOK_SECRET=${secret} BLACKJACK_PORT=${port}`);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    console.log(
      `Webhooks off: Coffer refused ${url} (${error.message}). A table on this machine needs Coffer started with ` +
        'COFFER_WEBHOOK_ALLOW_PRIVATE=1, or BLACKJACK_WEBHOOK_URL set to a public https:// address of the table.',
    );
  }
}

main().catch((error: Error) => fail(error.message));
