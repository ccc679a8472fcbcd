import { connect, headers, type Msg, type NatsConnection } from 'nats';
import { encodeBatchReply, MAX_BATCH_REQUESTS, type BatchEntry } from '@coffer/platform';
import { testNatsPrefix, testNatsUrl } from '@coffer/testing';
import { NoAnswer, NoResponders, ReplyInbox, UnreadableAnswer } from './reply-inbox';

describe('ReplyInbox over a real NATS server', () => {
  let client: NatsConnection;
  let server: NatsConnection;
  let inbox: ReplyInbox;
  let subject: string;
  const signedFor: string[] = [];
  const packet = (body: string) => Buffer.from(JSON.stringify({ body }));
  const batchOf = (msg: Msg) => (JSON.parse(Buffer.from(msg.data).toString('utf8')) as { batch: BatchEntry[] }).batch;
  const echo = (entry: BatchEntry) => ({ t: entry.t, r: { response: `re:${(entry.p as unknown as { body: string }).body}` } });

  beforeEach(async () => {
    client = await connect({ servers: testNatsUrl() });
    server = await connect({ servers: testNatsUrl() });
    signedFor.length = 0;
    inbox = new ReplyInbox(client, (to, payload) => {
      signedFor.push(`${to}:${payload.length}`);
      const signed = headers();
      signed.set('x-signed', to);
      return signed;
    }, 20);
    subject = `${testNatsPrefix('inbox')}.echo`;
  });

  afterEach(async () => {
    inbox.close();
    await client.close();
    await server.close();
  });

  it('sends the requests of one turn as one signed message, and matches each answer to its request whatever order they come in', async () => {
    const messages: Msg[] = [];
    server.subscribe(subject, {
      callback: (_error, msg) => {
        messages.push(msg);
        const [first, ...rest] = batchOf(msg).reverse();
        msg.respond(encodeBatchReply(rest.map(echo))); // two answers now,
        setTimeout(() => msg.respond(encodeBatchReply([echo(first)])), 20); // the last one later
      },
    });
    await server.flush();
    const answers = await Promise.all(['a', 'b', 'c'].map((body) => inbox.request(subject, packet(body), 5000)));
    expect(answers.map((reply) => reply.response)).toEqual(['re:a', 're:b', 're:c']);
    expect(messages).toHaveLength(1);
    expect(messages[0].headers?.get('x-signed')).toBe(subject);
    expect(signedFor).toEqual([`${subject}:${messages[0].data.length}`]); // one signature, over the whole batch
  });

  it(`leaves as two batches when a turn has more than ${MAX_BATCH_REQUESTS} requests for one subject`, async () => {
    const sizes: number[] = [];
    server.subscribe(subject, {
      callback: (_error, msg) => {
        const batch = batchOf(msg);
        sizes.push(batch.length);
        msg.respond(encodeBatchReply(batch.map(echo)));
      },
    });
    await server.flush();
    const bodies = Array.from({ length: MAX_BATCH_REQUESTS + 1 }, (_, i) => `n${i}`);
    const answers = await Promise.all(bodies.map((body) => inbox.request(subject, packet(body), 5000)));
    expect(answers.map((reply) => reply.response)).toEqual(bodies.map((body) => `re:${body}`));
    expect(sizes).toEqual([MAX_BATCH_REQUESTS, 1]);
  });

  it('sends a request alone, unbatched, when asked to', async () => {
    server.subscribe(subject, { callback: (_error, msg) => msg.respond(Buffer.from(JSON.stringify({ response: `alone:${Buffer.from(msg.data).toString()}` }))) });
    await server.flush();
    expect((await inbox.requestAlone(subject, Buffer.from('x'), 5000)).response).toBe('alone:x');
  });

  it('refuses every request of a batch at once when nobody listens on the subject', async () => {
    const started = Date.now();
    const sent = ['a', 'b'].map((body) => inbox.request(`${subject}.nobody`, packet(body), 5000));
    for (const each of sent) await expect(each).rejects.toBeInstanceOf(NoResponders);
    expect(Date.now() - started).toBeLessThan(4000); // the server said so; the deadline did not pass
  });

  it('does not take an answer naming a request of another batch', async () => {
    const held: Msg[] = [];
    server.subscribe(subject, { callback: (_error, msg) => held.push(msg) });
    await server.flush();
    const first = inbox.request(subject, packet('first'), 300);
    await new Promise((resolve) => setImmediate(resolve));
    const second = inbox.request(subject, packet('second'), 5000);
    while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    // The second batch's reply subject answers for the first batch's request: ignored.
    held[1].respond(encodeBatchReply([echo(batchOf(held[0])[0])]));
    await expect(first).rejects.toThrow('no answer in time');
    held[1].respond(encodeBatchReply([echo(batchOf(held[1])[0])]));
    expect((await second).response).toBe('re:second');
  });

  it('refuses a batch whose answer is not a batch reply', async () => {
    server.subscribe(subject, { callback: (_error, msg) => msg.respond(Buffer.from('{"not":"replies"}')) });
    await server.flush();
    await expect(inbox.request(subject, packet('x'), 5000)).rejects.toBeInstanceOf(UnreadableAnswer);
  });

  it('gives up after the deadline, and ignores an answer that comes later', async () => {
    const late: Array<() => void> = [];
    server.subscribe(subject, { callback: (_error, msg) => late.push(() => msg.respond(encodeBatchReply(batchOf(msg).map(echo)))) });
    await server.flush();
    await expect(inbox.request(subject, packet('x'), 100)).rejects.toThrow('no answer in time');
    late[0]();
    await server.flush();
    // The next request gets its own answer, not the late one.
    server.subscribe(`${subject}.2`, { callback: (_error, msg) => msg.respond(encodeBatchReply(batchOf(msg).map(echo))) });
    await server.flush();
    expect((await inbox.request(`${subject}.2`, packet('y'), 5000)).response).toBe('re:y');
  });

  it('rejects what is still waiting when it closes', async () => {
    server.subscribe(subject, { callback: () => undefined });
    await server.flush();
    const waiting = inbox.request(subject, packet('x'), 60000);
    await new Promise((resolve) => setImmediate(resolve));
    await client.flush();
    inbox.close();
    await expect(waiting).rejects.toBeInstanceOf(NoAnswer);
  });
});
