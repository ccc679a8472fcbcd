/**
 * Production NATS as `npm run coffer -- nats-config` writes it, on a private nats-server with TLS:
 * every component runs as its own NATS user with the environment file made for it and does its
 * work (the gateway commands, the ledger and achievements answer, achievements pays a reward, the
 * projector fills the feed and analytics' mirror of it, analytics reads the mirror, each
 * service's container health check probes it), and the analytics user, which may only read the
 * feed, can neither command the ledger nor read anyone's replies nor touch the stream, nor make
 * the server publish onto the services' subjects, in an account of its own.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AckPolicy, connect, JSONCodec, type NatsConnection } from 'nats';
import { PATTERNS, subjectOf, subjects } from '@coffer/contracts';
import { JsonLogger, loadConfig, natsConnectionOptions, startMicroservice, type CofferConfig } from '@coffer/platform';
import { createTestDatabase, freePort, PrivateNats, testNatsPrefix, testServiceKey, type TestDatabase } from '@coffer/testing';
import { AchievementsModule } from '../../achievements/src/achievements.module';
import { LedgerModule } from '../../ledger/src/ledger.module';
import { serviceEnvironment } from '../../../tools/service-environment';
import { makeTlsFiles, natsServerConfig, type NatsUser } from '../../projector/src/cli/nats-config';
import { ProjectorModule } from '../../projector/src/projector.module';
import { NotifierModule } from '../../notifier/src/notifier.module';
import { createGateway } from '../src/create-gateway';
import { ADMIN_TOKEN, api, untilServing } from './gateway-harness';

jest.setTimeout(120000);

const ROOT = resolve(__dirname, '../../..');
const USER_ID = 'perm-user';
/** The analytics account's consumer limit here (ANALYTICS_MAX_CONSUMERS in production), met at its edge. */
const ANALYTICS_MAX_CONSUMERS = 16;

describe('NATS with a user and permissions per component, over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-nats-perm-'));
  const caFile = join(dir, 'ca-cert.pem');
  let server: PrivateNats | undefined;
  let database: TestDatabase;
  let prefix: string;
  let port: number;
  let passwords: Record<NatsUser, string>;
  /** Each user's environment file, as nats-config writes it (deploy/nats/<user>.env). */
  let envFiles: Record<NatsUser, string>;
  let gateway: NestFastifyApplication;
  const services: INestMicroservice[] = [];
  const connections: NatsConnection[] = [];

  const urlOf = (user: NatsUser) => `tls://${user}:${passwords[user]}@127.0.0.1:${port}`;
  const configOf = (user: NatsUser): CofferConfig =>
    loadConfig({
      ...Object.fromEntries(envFiles[user].split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split(/=(.*)/s).slice(0, 2))),
      DATABASE_URL: database.url,
      COFFER_NATS_PREFIX: prefix,
      COFFER_SERVICE_KEY: testServiceKey(),
      COFFER_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'error',
    });
  const connectAs = async (user: NatsUser) => {
    const nc = await connect({ ...natsConnectionOptions({ natsUrl: urlOf(user), natsCaFile: caFile }), timeout: 2000 });
    connections.push(nc);
    return nc;
  };
  const coins = async () => {
    const answer = await api(gateway, appKey).balance(USER_ID, { consistency: 'strong' });
    return answer.status === 200 ? (answer.reply.balances.find((line) => line.currency === 'coins')?.posted ?? '0') : '0';
  };
  let appKey: string;

  beforeAll(async () => {
    database = await createTestDatabase('nats_perm');
    prefix = testNatsPrefix('nats_perm');
    port = await freePort();
    makeTlsFiles(dir, ['localhost', '127.0.0.1']);
    const made = natsServerConfig({
      prefix,
      host: '127.0.0.1',
      port,
      serverCertFile: join(dir, 'server-cert.pem'),
      serverKeyFile: join(dir, 'server-key.pem'),
      storeDir: join(dir, 'jetstream'),
      clientCaFile: caFile,
      analyticsMaxConsumers: ANALYTICS_MAX_CONSUMERS,
    });
    passwords = made.passwords;
    envFiles = made.env;
    writeFileSync(join(dir, 'nats.conf'), made.conf);
    server = new PrivateNats({ configFile: join(dir, 'nats.conf'), storeDir: join(dir, 'jetstream'), port });
    await server.start();

    const ledger = configOf('ledger');
    const logger = (service: string) => new JsonLogger(service, 'error');
    services.push(await startMicroservice({ service: 'ledger', config: ledger, logger: logger('ledger'), module: (transport) => LedgerModule.forRoot(ledger, logger('ledger'), transport) }));
    const achievements = configOf('achievements');
    services.push(
      await startMicroservice({
        service: 'achievements',
        config: achievements,
        logger: logger('achievements'),
        module: (_transport, keys) => AchievementsModule.forRoot(achievements, logger('achievements'), keys, { reactor: { retryMs: 20, maxRetryMs: 200 } }),
      }),
    );
    const projector = configOf('projector');
    services.push(await startMicroservice({ service: 'projector', config: projector, logger: logger('projector'), module: () => ProjectorModule.forRoot(projector, logger('projector')) }));
    const notifier = configOf('notifier');
    services.push(await startMicroservice({ service: 'notifier', config: notifier, logger: logger('notifier'), module: () => NotifierModule.forRoot(notifier, logger('notifier')) }));
    gateway = await createGateway(configOf('gateway'), logger('gateway'));
    await gateway.init();
    await gateway.getHttpAdapter().getInstance().ready();
    await untilServing(gateway);
  });

  afterAll(async () => {
    await gateway?.close();
    for (const service of services.splice(0).reverse()) await service.close();
    for (const nc of connections) await nc.close().catch(() => undefined);
    await server?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`holds the analytics account to ${ANALYTICS_MAX_CONSUMERS} consumers: at the limit made, one beyond refused`, async () => {
    // First in this file: the analytics account holds no consumer yet.
    const jsm = await (await connectAs('analytics')).jetstreamManager();
    const stream = subjects(prefix).eventsStream;
    const deadline = Date.now() + 15000;
    while (!(await jsm.streams.info(stream).then(() => true, () => false))) {
      if (Date.now() > deadline) throw new Error("the projector never made analytics' mirror");
      await new Promise((done) => setTimeout(done, 100));
    }
    expect((await jsm.getAccountInfo()).consumers).toBe(0);
    const names = Array.from({ length: ANALYTICS_MAX_CONSUMERS }, (_unused, i) => `limit-${i}`);
    for (const name of names) await jsm.consumers.add(stream, { durable_name: name, ack_policy: AckPolicy.None });
    await expect(jsm.consumers.add(stream, { durable_name: 'limit-beyond', ack_policy: AckPolicy.None })).rejects.toThrow(/maximum consumers/);
    for (const name of names) await jsm.consumers.delete(stream, name);
  });

  it('lets every component do its work as its own user: commands, a reward paid by achievements, the feed', async () => {
    const created = await api(gateway, ADMIN_TOKEN).createApp({ name: 'Permitted' });
    expect(created.status).toBe(201);
    appKey = String(created.reply.api_key);
    expect((await api(gateway, ADMIN_TOKEN).grant({ user_id: USER_ID, amount: 100 })).status).toBe(201);
    expect((await api(gateway, appKey).postTransaction({ user_id: USER_ID, type: 'debit', amount: 10 })).status).toBe(201);
    const achievement = { key: 'first', name: 'First', goal: 1, reward: { amount: '25' } };
    expect((await api(gateway, appKey).registerAchievement(achievement)).status).toBe(201);
    expect((await api(gateway, appKey).unlock('first', { user_id: USER_ID })).status).toBe(200);
    const deadline = Date.now() + 15000;
    while ((await coins()) !== '115' && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
    expect(await coins()).toBe('115');

    // The analytics user reads the feed the projector published.
    const analytics = await connectAs('analytics');
    const consumer = await analytics.jetstream().consumers.get(subjects(prefix).eventsStream); // from the start
    const seen: string[] = [];
    const messages = await consumer.consume();
    for await (const message of messages) {
      seen.push(message.subject.split('.').pop()!);
      if (seen.filter((type) => type === 'TransactionPosted').length === 3) break;
    }
    expect(seen).toEqual(expect.arrayContaining(['AppRegistered', 'AchievementUnlocked', 'TransactionPosted']));

    // The gateway reaches the notifier as its own user (a webhook to a literal public address: nothing to resolve).
    const hook = await api(gateway, appKey).createWebhook({ url: 'https://93.184.216.34/perm', events: ['achievement.unlocked'] });
    expect(hook.status).toBe(201);
    expect((await api(gateway, appKey).webhooks()).reply.data).toHaveLength(1);
  });

  it("runs each service's container health check with that service's own user", async () => {
    // A child process of its own (not spawnSync): the services it probes run in this process.
    const probe = (service: string, user: NatsUser) =>
      new Promise<{ status: number | null; out: string }>((done) => {
        const child = spawn(process.execPath, [join(ROOT, 'tools/healthcheck.js'), service], {
          env: serviceEnvironment({ NATS_URL: urlOf(user), NATS_CA_FILE: caFile, COFFER_NATS_PREFIX: prefix }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
        child.on('exit', (status) => done({ status, out }));
      });
    for (const service of ['ledger', 'achievements', 'projector', 'notifier'] as const) {
      expect({ service, ...(await probe(service, service)) }).toMatchObject({ service, status: 0, out: expect.stringContaining('"status":"ok"') });
    }
    expect(await probe('ledger', 'analytics')).toMatchObject({ status: 1 });
  });

  it('refuses the analytics user a command, anyone else\u2019s replies and the stream itself', async () => {
    const commands = subjectOf(PATTERNS.ledgerCommands, prefix);
    const watcher = await connectAs('ledger'); // hears the command subject beside the ledger's queue group
    const heard: string[] = [];
    // The shared subject, and the announced writer's own (where the gateway sends once it heard it).
    for (const subject of [commands, `${commands}.*`]) {
      watcher.subscribe(subject, { callback: (_error, msg) => heard.push(Buffer.from(msg.data).toString('utf8')) });
    }
    await watcher.flush();

    const analytics = await connectAs('analytics');
    const errors: string[] = [];
    void (async () => {
      for await (const status of analytics.status()) if (status.type === 'error') errors.push(String(status.data));
    })();
    const forged = JSONCodec().encode({ pattern: PATTERNS.ledgerCommands, id: 'x', data: { marker: 'from-analytics' } });
    analytics.publish(commands, forged);
    // Nor may it announce itself as the writer (that would route the gateway's commands to it).
    analytics.publish(subjectOf(PATTERNS.ledgerWriter, prefix), JSONCodec().encode({ term: 1_000_000, instance: 'analytics' }));
    const stolen = analytics.subscribe(`_INBOX_gateway.>`);
    const listening = analytics.subscribe(commands);
    await analytics.flush();
    await new Promise((done) => setTimeout(done, 200));
    // Traffic the analytics user would see if the server let it: a command and its reply.
    expect((await api(gateway, appKey).postTransaction({ user_id: USER_ID, type: 'debit', amount: 1 })).status).toBe(201);
    await new Promise((done) => setTimeout(done, 200));

    expect(heard.some((text) => text.includes('"PostTransaction"'))).toBe(true);
    expect(heard.some((text) => text.includes('from-analytics'))).toBe(false);
    expect(errors.filter((error) => error === 'PERMISSIONS_VIOLATION').length).toBeGreaterThanOrEqual(4); // both publishes and both subscriptions
    for (const subscription of [stolen, listening]) {
      expect(subscription.isClosed()).toBe(true);
      expect(subscription.getProcessed()).toBe(0);
    }
    const jsm = await analytics.jetstreamManager();
    await expect(jsm.streams.delete(subjects(prefix).eventsStream)).rejects.toThrow();
    await expect(jsm.streams.add({ name: `${subjects(prefix).eventsStream}_X`, subjects: [`${prefix}.x.>`] })).rejects.toThrow();
    expect(await coins()).toBe('114');
  });

  it('lets the analytics user make the server publish onto no one else\u2019s subject: not by a delivery subject, a pull reply or an API reply', async () => {
    const stream = subjects(prefix).eventsStream;
    const commands = subjectOf(PATTERNS.ledgerCommands, prefix);
    const targets = [commands, `${commands}.some-writer`, subjectOf(PATTERNS.ledgerWriter, prefix), '_INBOX_gateway.stolen'];
    const ledger = await connectAs('ledger');
    const gatewayUser = await connectAs('gateway');
    /** What reached the services' subjects from JetStream: an event of the feed, or an API answer. */
    const delivered: string[] = [];
    const hear = (nc: NatsConnection, subject: string) =>
      nc.subscribe(subject, {
        callback: (_error, msg) => {
          const text = Buffer.from(msg.data).toString('utf8');
          if (text.includes('"global_position"') || text.includes('io.nats.jetstream.api')) delivered.push(`${msg.subject}: ${text.slice(0, 80)}`);
        },
      });
    hear(ledger, commands);
    hear(ledger, `${commands}.*`);
    hear(gatewayUser, subjectOf(PATTERNS.ledgerWriter, prefix));
    hear(gatewayUser, '_INBOX_gateway.stolen');
    await Promise.all([ledger.flush(), gatewayUser.flush()]);

    const analytics = await connectAs('analytics');
    const jsm = await analytics.jetstreamManager();
    expect((await jsm.streams.info(stream)).state.messages).toBeGreaterThan(0); // there is something to deliver
    const codec = JSONCodec();
    for (const target of targets) {
      // A push consumer delivering there: created, but its deliveries stay in analytics' account.
      const created = await analytics.request(
        `$JS.API.CONSUMER.CREATE.${stream}`,
        codec.encode({ stream_name: stream, config: { deliver_subject: target, ack_policy: 'none', deliver_policy: 'all' } }),
      );
      expect(codec.decode(created.data)).toMatchObject({ type: 'io.nats.jetstream.api.v1.consumer_create_response', config: { deliver_subject: target } });
      // A pull request and an API request answered there.
      const pull = await jsm.consumers.add(stream, { ack_policy: AckPolicy.None });
      analytics.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${pull.name}`, codec.encode({ batch: 10 }), { reply: target });
      analytics.publish('$JS.API.INFO', undefined, { reply: target });
      analytics.publish(`$JS.API.STREAM.INFO.${stream}`, undefined, { reply: target });
    }
    await analytics.flush();
    await new Promise((done) => setTimeout(done, 1000));
    expect(delivered).toEqual([]);
  });
});

