import { connect, type Msg, type MsgHdrs, type NatsConnection } from 'nats';
import { PATTERNS, subjectOf, writerPattern } from '@coffer/contracts';
import { generateServiceKey, ServiceKeyring, WriterDirectory } from '@coffer/platform';
import { testNatsPrefix, testNatsUrl, testServiceKeys } from '@coffer/testing';
import { NoAnswer, ReplyInbox } from './reply-inbox';
import { WriterRouting } from './writer-routing';

describe('WriterRouting over a real NATS server', () => {
  let client: NatsConnection;
  let writers: NatsConnection;
  let inbox: ReplyInbox;
  let directory: WriterDirectory;
  let routing: WriterRouting;
  let scope: { prefix: string; realm: string };
  const text = (data: Uint8Array) => Buffer.from(data).toString('utf8');
  /** A writer's answer as a reply packet (requests here go alone: routing does not care how they travel). */
  const reply = (response: string) => Buffer.from(JSON.stringify({ response }));
  const ownSubject = (instance: string) => subjectOf(writerPattern(PATTERNS.ledgerCommands, instance), scope.prefix, scope.realm);
  const keys = new ServiceKeyring(testServiceKeys());
  const announcementSubject = () => subjectOf(PATTERNS.ledgerWriter, scope.prefix, scope.realm);
  /** Publishes an announcement signed as the ledger (or with `sign`'s headers, or none). */
  const announce = async (term: number, instance: string, sign: (subject: string, data: Uint8Array) => MsgHdrs | undefined = (subject, data) => keys.signedHeaders('ledger', subject, data)) => {
    const data = Buffer.from(JSON.stringify({ term, instance }));
    writers.publish(announcementSubject(), data, { headers: sign(announcementSubject(), data) });
    await writers.flush();
    await client.flush();
  };
  /** A writer that answers `re:<request> from <name>`, or never answers (frozen). */
  const writer = async (instance: string, answers = true) => {
    const received: string[] = [];
    const subscription = writers.subscribe(ownSubject(instance), {
      callback: (_error, msg: Msg) => {
        received.push(text(msg.data));
        if (answers) msg.respond(reply(`re:${text(msg.data)} from ${instance}`));
      },
    });
    await writers.flush();
    return { received, subscription };
  };
  const send = (body: string, timeoutMs = 5000) =>
    routing.deliver(PATTERNS.ledgerCommands, timeoutMs, (subject, remainingMs) => inbox.requestAlone(subject, Buffer.from(body), remainingMs));

  beforeEach(async () => {
    client = await connect({ servers: testNatsUrl() });
    writers = await connect({ servers: testNatsUrl() });
    scope = { prefix: testNatsPrefix('routing'), realm: 'default' };
    inbox = new ReplyInbox(client, (subject, data) => keys.signedHeaders('gateway', subject, data), 20);
    directory = new WriterDirectory(client, scope, keys);
    routing = new WriterRouting(directory, scope);
    await client.flush();
  });

  afterEach(async () => {
    directory.close();
    inbox.close();
    await client.close();
    await writers.close();
  });

  it('sends to the announced writer alone, not to the shared subject', async () => {
    const shared: string[] = [];
    writers.subscribe(subjectOf(PATTERNS.ledgerCommands, scope.prefix, scope.realm), { callback: (_e, msg) => shared.push(text(msg.data)) });
    const active = await writer('writer-1');
    await announce(1, 'writer-1');
    expect((await send('grant')).response).toBe('re:grant from writer-1');
    expect(active.received).toEqual(['grant']);
    expect(shared).toEqual([]);
  });

  it('resends what waits on a frozen writer to its successor as soon as the successor is announced', async () => {
    const frozen = await writer('writer-1', false);
    await announce(1, 'writer-1');
    const started = Date.now();
    const answer = send('grant-7');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const successor = await writer('writer-2');
    await announce(2, 'writer-2');
    expect((await answer).response).toBe('re:grant-7 from writer-2');
    expect(Date.now() - started).toBeLessThan(1000);
    // The same bytes went to both: the same command id, so the ledger answers it once.
    expect(frozen.received).toEqual(['grant-7']);
    expect(successor.received).toEqual(['grant-7']);
    expect(routing.resent).toBe(1);
  });

  it('waits for a successor when the writer addressed is gone (no responders), then resends', async () => {
    const gone = await writer('writer-1');
    await announce(1, 'writer-1');
    gone.subscription.unsubscribe();
    await writers.flush();
    const answer = send('grant-8');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await writer('writer-2');
    await announce(2, 'writer-2');
    expect((await answer).response).toBe('re:grant-8 from writer-2');
  });

  it('sends again to the same writer as soon as it is heard again after NATS had nobody for it (a NATS restart)', async () => {
    const first = await writer('writer-1');
    await announce(1, 'writer-1');
    first.subscription.unsubscribe(); // NATS forgot its subscriptions; it has not reconnected yet
    await writers.flush();
    const started = Date.now();
    const answer = send('grant-11');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const back = await writer('writer-1'); // it reconnects and subscribes again ...
    await announce(1, 'writer-1'); // ... then its next announcement goes out: the same term
    expect((await answer).response).toBe('re:grant-11 from writer-1');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(back.received).toEqual(['grant-11']);
    expect(routing.resent).toBe(1);
  });

  it('keeps to its deadline when the writer is heard again and again but nobody listens on its subject', async () => {
    const gone = await writer('writer-1');
    await announce(1, 'writer-1');
    gone.subscription.unsubscribe();
    await writers.flush();
    const announcing = setInterval(() => void announce(1, 'writer-1'), 50);
    try {
      const started = Date.now();
      await expect(send('grant-12', 500)).rejects.toBeInstanceOf(NoAnswer);
      expect(Date.now() - started).toBeGreaterThanOrEqual(490);
      expect(Date.now() - started).toBeLessThan(1000);
      // Sent again once per announcement heard after a refusal, no more.
      expect(routing.resent).toBeGreaterThan(0);
      expect(routing.resent).toBeLessThanOrEqual(500 / 50 + 1);
    } finally {
      clearInterval(announcing);
    }
  });

  it('gives up at the deadline when no successor comes', async () => {
    const gone = await writer('writer-1');
    await announce(1, 'writer-1');
    gone.subscription.unsubscribe();
    await writers.flush();
    const started = Date.now();
    await expect(send('grant-9', 300)).rejects.toBeInstanceOf(NoAnswer);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('ignores an announcement of an older term (a frozen writer waking up) and anything malformed', async () => {
    await writer('writer-2');
    await announce(2, 'writer-2');
    await writer('writer-1');
    await announce(1, 'writer-1');
    for (const body of ['{"term":9,"instance":"a.b"}', 'not json']) {
      const data = Buffer.from(body);
      writers.publish(announcementSubject(), data, { headers: keys.signedHeaders('ledger', announcementSubject(), data) });
    }
    await writers.flush();
    await client.flush();
    expect((await send('grant')).response).toBe('re:grant from writer-2');
    expect(directory.currentTerm).toBe(2);
  });

  it('ignores an announcement the ledger did not sign: unsigned, signed by another sender, with another key', async () => {
    await writer('writer-1');
    await announce(1, 'writer-1');
    const forger = await writer('forger', false); // takes what it is sent and never answers
    const otherKeys = new ServiceKeyring([generateServiceKey()]);
    await announce(1_000_000, 'forger', () => undefined);
    await announce(1_000_001, 'forger', (subject, data) => keys.signedHeaders('gateway', subject, data));
    await announce(1_000_002, 'forger', (subject, data) => otherKeys.signedHeaders('ledger', subject, data));
    expect(directory.currentTerm).toBe(1);
    expect((await send('grant')).response).toBe('re:grant from writer-1');
    expect(forger.received).toEqual([]);
  });

  it('uses the shared subject before any writer was heard of, and never resends what it sent there', async () => {
    const shared: string[] = [];
    writers.subscribe(subjectOf(PATTERNS.ledgerCommands, scope.prefix, scope.realm), { callback: (_e, msg) => shared.push(text(msg.data)) });
    await writers.flush();
    const answer = send('grant-10', 400);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writer('writer-1');
    await announce(1, 'writer-1');
    await expect(answer).rejects.toBeInstanceOf(NoAnswer);
    expect(shared).toEqual(['grant-10']);
    expect(routing.resent).toBe(0);
  });

  it('goes back to the shared subject once the announced writer has been silent for WRITER_SILENCE_MS', async () => {
    const shared: string[] = [];
    writers.subscribe(subjectOf(PATTERNS.ledgerCommands, scope.prefix, scope.realm), {
      callback: (_e, msg) => {
        shared.push(text(msg.data));
        msg.respond(reply('re: from the shared subject'));
      },
    });
    let now = 1_000_000;
    directory.now = () => now;
    await writer('writer-1');
    await announce(1, 'writer-1'); // heard at 1_000_000
    now += 2000; // at the limit: still the writer
    expect((await send('a')).response).toBe('re:a from writer-1');
    now += 1; // one beyond: the shared subject
    expect((await send('b')).response).toBe('re: from the shared subject');
    expect(shared).toEqual(['b']);
  });
});
