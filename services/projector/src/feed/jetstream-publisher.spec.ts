import { randomUUID } from 'node:crypto';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { dropTestStreams, testNatsPrefix, testNatsUrl } from '@coffer/testing';
import { JetStreamPublisher, JetStreamRefusal, NoStream, NotAcknowledged, parsePubAck, type FeedMessage } from './jetstream-publisher';

const text = (value: string) => ({ data: new TextEncoder().encode(value) });

describe('parsePubAck', () => {
  it('reads a stored and a duplicate acknowledgement', () => {
    expect(parsePubAck(text('{"stream":"S","seq":7}'))).toEqual({ stream: 'S', seq: 7, duplicate: false });
    expect(parsePubAck(text('{"stream":"S","seq":7,"duplicate":true}'))).toEqual({ stream: 'S', seq: 7, duplicate: true });
  });

  it("throws JetStream's refusal with its codes", () => {
    const refusal = (() => {
      try {
        parsePubAck(text('{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 4"}}'));
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(JetStreamRefusal);
    expect(refusal).toMatchObject({ code: 400, errCode: 10071, message: expect.stringContaining('wrong last sequence: 4') });
  });

  it.each([
    ['not JSON', 'nope', /not JSON/],
    ['null', 'null', /no acknowledgement/],
    ['no stream', '{"seq":1}', /invalid acknowledgement/],
    ['an empty stream name', '{"stream":"","seq":1}', /invalid acknowledgement/],
    ['a sequence that is not a number', '{"stream":"S","seq":"1"}', /invalid acknowledgement/],
  ])('refuses an answer that is %s', (_case, answer, message) => {
    expect(() => parsePubAck(text(answer))).toThrow(message);
  });
});

describe('JetStreamPublisher on a real NATS server', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let publisher: JetStreamPublisher;
  let prefix: string;
  let stream: string;

  beforeEach(async () => {
    nc = await connect({ servers: testNatsUrl() });
    jsm = await nc.jetstreamManager();
    publisher = new JetStreamPublisher(nc);
    prefix = testNatsPrefix('publisher');
    stream = `${prefix.toUpperCase()}_EVENTS`;
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.events.>`] });
  });

  afterEach(async () => {
    publisher.close();
    await dropTestStreams(prefix);
    await nc.close();
  });

  const messages = (count: number): FeedMessage[] =>
    Array.from({ length: count }, (_, i) => ({ subject: `${prefix}.events.finance.Tested`, data: new TextEncoder().encode(`{"i":${i}}`), msgId: randomUUID() }));

  it('stores a batch in order with the message id and expected sequence JetStream reads, and acknowledges each', async () => {
    const batch = messages(50);
    const acks = await publisher.publishBatch(batch, 0, 5000);
    expect(acks.map((ack) => ack.seq)).toEqual(batch.map((_, i) => i + 1));
    expect(acks.every((ack) => ack.stream === stream && !ack.duplicate)).toBe(true);
    const tenth = await jsm.streams.getMessage(stream, { seq: 10 });
    expect(tenth.header.get('Nats-Msg-Id')).toBe(batch[9].msgId);
    expect(tenth.header.get('Nats-Expected-Last-Sequence')).toBe('9');
    expect(new TextDecoder().decode(tenth.data)).toBe('{"i":9}');
  });

  it('is told of a duplicate message id, with the sequence it was stored at', async () => {
    const batch = messages(2);
    await publisher.publishBatch(batch, 0, 5000);
    const [again] = await publisher.publishBatch([batch[1]], 2, 5000);
    expect(again).toEqual({ stream, seq: 2, duplicate: true });
    expect((await jsm.streams.info(stream)).state.messages).toBe(2);
  });

  it('fails a message whose expected last sequence is not the stream\'s, storing nothing', async () => {
    await publisher.publishBatch(messages(3), 0, 5000);
    await expect(publisher.publishBatch(messages(1), 2, 5000)).rejects.toMatchObject({ errCode: 10071 });
    expect((await jsm.streams.info(stream)).state.messages).toBe(3);
  });

  it('stores nothing of a batch after a message that was not stored: each later one expects a sequence the stream never reaches', async () => {
    await publisher.publishBatch(messages(3), 0, 5000);
    const batch = messages(4);
    batch[1] = { ...batch[1], subject: `${prefix}.elsewhere` }; // no stream takes it
    await expect(publisher.publishBatch(batch, 3, 5000)).rejects.toBeInstanceOf(NoStream);
    const info = await jsm.streams.info(stream);
    expect(info.state.messages).toBe(4);
    expect((await jsm.streams.getMessage(stream, { seq: 4 })).header.get('Nats-Msg-Id')).toBe(batch[0].msgId);
  });

  it('fails at once when no stream takes the subject', async () => {
    const started = Date.now();
    const missing = [{ ...messages(1)[0], subject: `${prefix}.elsewhere` }];
    await expect(publisher.publishBatch(missing, 0, 5000)).rejects.toBeInstanceOf(NoStream);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails a batch that is not acknowledged by its deadline', async () => {
    // Someone who takes the messages and never answers: the subject is not a stream's.
    const silent = `${prefix}.silent`;
    nc.subscribe(silent, { callback: () => undefined });
    await nc.flush();
    const started = Date.now();
    await expect(publisher.publishBatch([{ ...messages(1)[0], subject: silent }], 0, 300)).rejects.toThrow(NotAcknowledged);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290); // a timer may fire a millisecond early
    expect(waited).toBeLessThan(1500);
    // The next batch gets its own answers, not a late one of the batch that failed.
    const acks = await publisher.publishBatch(messages(2), 0, 5000);
    expect(acks.map((ack) => ack.seq)).toEqual([1, 2]);
  });

  it('fails a batch whose late answers are missing while others came, naming the first message that failed', async () => {
    const silent = `${prefix}.silent`;
    nc.subscribe(silent, { callback: () => undefined });
    await nc.flush();
    const batch = messages(3);
    batch[2] = { ...batch[2], subject: silent };
    await expect(publisher.publishBatch(batch, 0, 300)).rejects.toThrow('no acknowledgement within 300 ms');
    expect((await jsm.streams.info(stream)).state.messages).toBe(2); // the two before it, in order
  });

  it('publishes one batch at a time, and an empty batch at once', async () => {
    const first = publisher.publishBatch(messages(5), 0, 5000);
    await expect(publisher.publishBatch(messages(1), 5, 5000)).rejects.toThrow('a batch is still being published');
    await first;
    await expect(publisher.publishBatch([], 5, 5000)).resolves.toEqual([]);
  });

  it('fails the batch in flight when it closes', async () => {
    const silent = `${prefix}.silent`;
    nc.subscribe(silent, { callback: () => undefined });
    await nc.flush();
    const waiting = publisher.publishBatch([{ ...messages(1)[0], subject: silent }], 0, 60000);
    publisher.close();
    await expect(waiting).rejects.toThrow('closing');
  });
});
