import { connect, type NatsConnection } from 'nats';
import { PATTERNS, subjectOf, writerPattern, type AchievementUnlocked } from '@coffer/contracts';
import { ScopedNatsClient, ServiceKeyring } from '@coffer/platform';
import { testNatsPrefix, testNatsUrl, testServiceKeys } from '@coffer/testing';
import { LedgerRewardPayer } from './ledger-payer';

/**
 * A reward is paid by the ledger of the app's realm: the house account that pays, the user's
 * wallet and the command's dedupe are that realm's. Fake ledgers on a real NATS server say which
 * realm (and which writer) answered.
 */
describe("LedgerRewardPayer: the app's realm pays", () => {
  let ledgers: NatsConnection;
  let client: ScopedNatsClient;
  let prefix: string;
  const keys = new ServiceKeyring(testServiceKeys());
  const unlock = (app_id: string): AchievementUnlocked => ({
    unlock_id: `u-${app_id}`,
    app_id,
    key: 'gold',
    user_id: 'ann',
    unlocked_at: '2026-12-01T00:00:00.000Z',
    reward: { amount: '5', currency: 'coins' },
  });
  /** A ledger answering every PayReward with a transaction id of its own (`id`). */
  const ledger = async (subject: string, id: number, heard: string[]) => {
    ledgers.subscribe(subject, {
      callback: (_error, msg) => {
        const packet = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { id: string; data: { meta: { app_id: string } } };
        heard.push(packet.data.meta.app_id);
        const result = { result: { transaction_id: id, created_at: '2026-12-01T00:00:00.000Z' }, replayed: false };
        msg.respond(Buffer.from(JSON.stringify({ id: packet.id, response: { ok: true, result }, isDisposed: true })));
      },
    });
    await ledgers.flush();
  };

  beforeEach(async () => {
    ledgers = await connect({ servers: testNatsUrl() });
    prefix = testNatsPrefix('payer');
    client = new ScopedNatsClient({ servers: testNatsUrl() }, { prefix, realm: 'default' }, { sender: 'achievements', keys });
  });

  afterEach(async () => {
    await client.close();
    await ledgers.close();
  });

  it("sends each payment to its app's realm, whatever the payer's own realm", async () => {
    const home: string[] = [];
    const blue: string[] = [];
    await ledger(subjectOf(PATTERNS.ledgerCommands, prefix, 'default'), 1, home);
    await ledger(subjectOf(PATTERNS.ledgerCommands, prefix, 'blue'), 2, blue);
    const payer = new LedgerRewardPayer(client, 2000, { scope: { prefix, realm: 'default' }, keys });
    expect(await payer.pay(unlock('app_1_blue'))).toMatchObject({ kind: 'paid', transaction_id: 2 });
    expect(await payer.pay(unlock('app_1'))).toMatchObject({ kind: 'paid', transaction_id: 1 });
    expect([home, blue]).toEqual([['app_1'], ['app_1_blue']]);
    payer.close();
  });

  it("follows the announced writer of the app's realm, on its own subject", async () => {
    const shared: string[] = [];
    const own: string[] = [];
    await ledger(subjectOf(PATTERNS.ledgerCommands, prefix, 'blue'), 3, shared);
    await ledger(subjectOf(writerPattern(PATTERNS.ledgerCommands, 'blue-b'), prefix, 'blue'), 4, own);
    const payer = new LedgerRewardPayer(client, 2000, { scope: { prefix, realm: 'default' }, keys });
    expect(await payer.pay(unlock('app_2_blue'))).toMatchObject({ kind: 'paid', transaction_id: 3 }); // no writer heard yet: the shared subject
    const announcement = subjectOf(PATTERNS.ledgerWriter, prefix, 'blue');
    const data = Buffer.from(JSON.stringify({ term: 7, instance: 'blue-b' }));
    ledgers.publish(announcement, data, { headers: keys.signedHeaders('ledger', announcement, data) });
    await ledgers.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await payer.pay(unlock('app_2_blue'))).toMatchObject({ kind: 'paid', transaction_id: 4 });
    expect([shared, own]).toEqual([['app_2_blue'], ['app_2_blue']]);
    payer.close();
  });
});
