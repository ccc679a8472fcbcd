import { connect, type NatsConnection } from 'nats';
import { testNatsPrefix, testNatsUrl } from '@coffer/testing';
import { NoAnswer, ReplyInbox } from './reply-inbox';

describe('ReplyInbox over a real NATS server', () => {
  let client: NatsConnection;
  let server: NatsConnection;
  let inbox: ReplyInbox;
  let subject: string;
  const text = (data: Uint8Array) => Buffer.from(data).toString('utf8');

  beforeEach(async () => {
    client = await connect({ servers: testNatsUrl() });
    server = await connect({ servers: testNatsUrl() });
    inbox = new ReplyInbox(client, 20);
    subject = `${testNatsPrefix('inbox')}.echo`;
  });

  afterEach(async () => {
    inbox.close();
    await client.close();
    await server.close();
  });

  it('matches each answer to its request, whatever order they come back in', async () => {
    const held: Array<{ respond: (data: Uint8Array) => boolean; data: Uint8Array }> = [];
    server.subscribe(subject, {
      callback: (_error, msg) => {
        held.push(msg);
        if (held.length === 3) for (const each of held.reverse()) each.respond(Buffer.from(`re:${text(each.data)}`));
      },
    });
    await server.flush();
    const answers = await Promise.all(['a', 'b', 'c'].map((body) => inbox.request(subject, Buffer.from(body), 5000)));
    expect(answers.map((msg) => text(msg.data))).toEqual(['re:a', 're:b', 're:c']);
  });

  it('refuses at once when nobody listens on the subject', async () => {
    const started = Date.now();
    await expect(inbox.request(`${subject}.nobody`, Buffer.from('x'), 5000)).rejects.toBeInstanceOf(NoAnswer);
    expect(Date.now() - started).toBeLessThan(4000); // the server said so; the deadline did not pass
  });

  it('gives up after the deadline, and ignores an answer that comes later', async () => {
    const late: Array<() => void> = [];
    server.subscribe(subject, { callback: (_error, msg) => late.push(() => msg.respond(Buffer.from('late'))) });
    await server.flush();
    await expect(inbox.request(subject, Buffer.from('x'), 100)).rejects.toThrow('no answer in time');
    late[0]();
    await server.flush();
    // The next request gets its own answer, not the late one.
    server.subscribe(`${subject}.2`, { callback: (_error, msg) => msg.respond(Buffer.from('second')) });
    await server.flush();
    expect(text((await inbox.request(`${subject}.2`, Buffer.from('y'), 5000)).data)).toBe('second');
  });

  it('rejects what is still waiting when it closes', async () => {
    server.subscribe(subject, { callback: () => undefined });
    await server.flush();
    const waiting = inbox.request(subject, Buffer.from('x'), 60000);
    await client.flush();
    inbox.close();
    await expect(waiting).rejects.toBeInstanceOf(NoAnswer);
  });
});
