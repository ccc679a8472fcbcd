import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { connect, createInbox, type Msg, type NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { subjectOf, type Request } from '@coffer/contracts';
import { testNatsPrefix, testNatsUrl, testServiceKeys } from '@coffer/testing';
import { JsonLogger } from './logger';
import { ScopedNatsServer } from './nats-transport';
import { batchRepliesOf, encodeBatch, type BatchReply } from './request-batch';
import { RequestDoor } from './request-door';
import { ServiceKeyring } from './request-signature';

const PATTERN = 'echo.{realm}.requests';

/** Answers `{echo}` after `delay_ms`, or throws when asked to. */
@Controller()
class EchoController {
  @MessagePattern(PATTERN)
  async echo(@Payload() request: Request<{ echo: string; delay_ms?: number; fail?: boolean }>): Promise<unknown> {
    if (request.body.delay_ms) await new Promise((resolve) => setTimeout(resolve, request.body.delay_ms));
    if (request.body.fail) throw new Error('the handler failed');
    return { ok: true, result: request.body.echo };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

/** A service's side of a batch (request-batch.ts), on a real NATS server through the real door. */
describe('a batch of requests, answered by a ScopedNatsServer', () => {
  const keys = new ServiceKeyring(testServiceKeys());
  let service: INestMicroservice;
  let client: NatsConnection;
  let subject: string;

  beforeAll(async () => {
    const scope = { prefix: testNatsPrefix('batch'), realm: 'default' };
    subject = subjectOf(PATTERN, scope.prefix, scope.realm);
    const logger = new JsonLogger('echo', 'error');
    const strategy = new ScopedNatsServer({ servers: testNatsUrl(), queue: 'echo' }, scope, new RequestDoor('echo', keys, logger, new Registry()));
    service = await NestFactory.createMicroservice(EchoModule, { strategy, logger: false });
    await service.listen();
    client = await connect({ servers: testNatsUrl() });
  });

  afterAll(async () => {
    await client?.close();
    await service?.close();
  });

  const packet = (body: object, deadline = Date.now() + 5000) =>
    Buffer.from(JSON.stringify({ pattern: PATTERN, id: `id-${JSON.stringify(body)}`, data: { meta: { correlation_id: 'c', command_id: 'x', app_id: null, key_id: null, deadline_epoch_ms: deadline }, body } }));

  /** Sends a signed batch and gathers its answers (in however many messages) until all `expected` tokens are answered. */
  const send = async (entries: Array<{ token: string; packet: Buffer }>, expected = entries.length) => {
    const inbox = createInbox();
    const messages: Msg[] = [];
    const answers: BatchReply['replies'] = [];
    const done = new Promise<void>((resolve) => {
      client.subscribe(inbox, {
        callback: (_error, msg) => {
          messages.push(msg);
          answers.push(...(batchRepliesOf(JSON.parse(Buffer.from(msg.data).toString('utf8'))) ?? []));
          if (answers.length >= expected) resolve();
        },
      });
    });
    const body = encodeBatch(entries);
    client.publish(subject, body, { reply: inbox, headers: keys.signedHeaders('gateway', subject, body) });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answers in time')), 5000)));
    await Promise.race([done, deadline]).finally(() => clearTimeout(timer));
    return { messages, byToken: Object.fromEntries(answers.map(({ t, r }) => [t, r])) };
  };

  it('answers every request of a batch as if it had come alone, those settled together in one message', async () => {
    const { messages, byToken } = await send(['a', 'b', 'c'].map((echo) => ({ token: `t-${echo}`, packet: packet({ echo }) })));
    expect(byToken).toEqual({
      't-a': { id: 'id-{"echo":"a"}', response: { ok: true, result: 'a' }, isDisposed: true },
      't-b': { id: 'id-{"echo":"b"}', response: { ok: true, result: 'b' }, isDisposed: true },
      't-c': { id: 'id-{"echo":"c"}', response: { ok: true, result: 'c' }, isDisposed: true },
    });
    expect(messages).toHaveLength(1);
  });

  it('does not hold a quick answer behind a slow one of the same batch', async () => {
    const started = Date.now();
    const quick = send([{ token: 'quick', packet: packet({ echo: 'q' }) }, { token: 'slow', packet: packet({ echo: 's', delay_ms: 300 }) }]);
    const { messages, byToken } = await quick;
    expect(Object.keys(byToken).sort()).toEqual(['quick', 'slow']);
    expect(messages.map((msg) => batchRepliesOf(JSON.parse(Buffer.from(msg.data).toString('utf8')))?.map(({ t }) => t))).toEqual([['quick'], ['slow']]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("refuses alone a request past its deadline, and answers a handler's failure for its own request only", async () => {
    const { byToken } = await send([
      { token: 'late', packet: packet({ echo: 'late' }, Date.now() - 1) },
      { token: 'fails', packet: packet({ echo: 'f', fail: true }) },
      { token: 'fine', packet: packet({ echo: 'fine' }) },
    ]);
    expect(byToken.late).toMatchObject({ err: { code: 'UNAUTHENTICATED', reason: 'past_deadline' } });
    expect(byToken.fails).toMatchObject({ id: 'id-{"echo":"f","fail":true}', err: { status: 'error' } });
    expect(byToken.fine).toMatchObject({ response: { ok: true, result: 'fine' } });
  });

  it('refuses a whole batch whose signature does not hold, with one error packet', async () => {
    const body = encodeBatch([{ token: 'x', packet: packet({ echo: 'x' }) }]);
    const answer = await client.request(subject, body, { timeout: 5000, headers: keys.signedHeaders('gateway', `${subject}.other`, body) });
    expect(JSON.parse(Buffer.from(answer.data).toString('utf8'))).toMatchObject({ err: { code: 'UNAUTHENTICATED', reason: 'bad_signature' } });
  });
});
