import { connect, type Msg, type NatsConnection } from 'nats';
import { PATTERNS, subjectOf } from '@coffer/contracts';
import { encodeBatchReply, JsonLogger, loadConfig } from '@coffer/platform';
import { testNatsPrefix, testNatsUrl, testServiceKey } from '@coffer/testing';
import { ApiError } from '../http/api-error';
import { NatsRequestClient, BackendFailure } from './nats-request-client';

/**
 * What the gateway makes of each way a service can fail to give a reply, against a real NATS
 * server with a stand-in service on the achievements subject: no answer or nobody listening is an
 * outage (503, retry), an error answer is a fault (BackendFailure: 500, logged by the error filter).
 */
describe('NatsRequestClient: outages and failures', () => {
  let backend: NatsRequestClient;
  let service: NatsConnection;
  let subject: string;
  /** How the stand-in answers each request (nothing: no answer). */
  let answer: ((msg: Msg) => unknown) | undefined;

  beforeEach(async () => {
    const prefix = testNatsPrefix('backend');
    const config = loadConfig({ NATS_URL: testNatsUrl(), COFFER_NATS_PREFIX: prefix, COFFER_SERVICE_KEY: testServiceKey(), COFFER_REQUEST_TIMEOUT_MS: '300' });
    backend = new NatsRequestClient(config, new JsonLogger('gateway', 'error'));
    await backend.onModuleInit();
    subject = subjectOf(PATTERNS.achievementsCommands, prefix);
    service = await connect({ servers: testNatsUrl() });
    answer = undefined;
  });

  afterEach(async () => {
    await backend.onApplicationShutdown();
    await service.close();
  });

  /** The stand-in answers each request of a batch as `answer` says; `wholeBatch` answers the batch with one packet, as a door refusing its signature does. */
  const serve = async (wholeBatch?: object) => {
    service.subscribe(subject, {
      callback: (_error, msg) => {
        if (wholeBatch) return msg.respond(Buffer.from(JSON.stringify(wholeBatch)));
        const { batch } = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { batch: Array<{ t: string; p: { id: string } }> };
        const replies = batch.flatMap(({ t, p }) => {
          const reply = answer?.(msg);
          return reply === undefined ? [] : [{ t, r: { id: p.id, ...(reply as object) } }];
        });
        if (replies.length) msg.respond(encodeBatchReply(replies));
      },
    });
    await service.flush();
  };
  const ask = () => backend.request<number>(PATTERNS.achievementsCommands, { query: { type: 'Anything' } });
  const outcome = (request: Promise<unknown>) =>
    request.then(
      (result) => ({ result }),
      (error: unknown) =>
        error instanceof ApiError ? { code: error.code } : error instanceof BackendFailure ? { failure: error.message } : { other: String(error) },
    );

  it('returns the result of a reply', async () => {
    answer = () => ({ response: { ok: true, result: 7 } });
    await serve();
    expect(await outcome(ask())).toEqual({ result: 7 });
  });

  it('is UNAVAILABLE when nobody listens, and when nobody answers in time', async () => {
    expect(await outcome(ask())).toEqual({ code: 'UNAVAILABLE' });
    await serve(); // listens, never answers
    const started = Date.now();
    expect(await outcome(ask())).toEqual({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('fails with what the service said when its door refuses the request or its handler throws: never a silent 503', async () => {
    await serve();
    answer = () => ({ err: { code: 'UNAUTHENTICATED', message: 'refused: unknown key', reason: 'unknown_key' }, isDisposed: true });
    expect(await outcome(ask())).toEqual({
      failure: 'achievements.{realm}.commands answered with an error: {"code":"UNAUTHENTICATED","message":"refused: unknown key","reason":"unknown_key"}',
    });
    answer = () => ({ err: { status: 'error', message: 'Internal server error' }, isDisposed: true });
    expect(await outcome(ask())).toEqual({
      failure: 'achievements.{realm}.commands answered with an error: {"status":"error","message":"Internal server error"}',
    });
  });

  it("fails with the door's refusal when the service refuses a whole batch (its signature), for each request of it", async () => {
    await serve({ err: { code: 'UNAUTHENTICATED', message: 'refused: bad signature', reason: 'bad_signature' }, isDisposed: true });
    const outcomes = await Promise.all([outcome(ask()), outcome(ask())]);
    const failure = 'achievements.{realm}.commands answered with an error: {"code":"UNAUTHENTICATED","message":"refused: bad signature","reason":"bad_signature"}';
    expect(outcomes).toEqual([{ failure }, { failure }]);
  });

  it('is UNAVAILABLE when the request reached the service after its deadline: it was not answered in time', async () => {
    await serve();
    answer = () => ({ err: { code: 'UNAUTHENTICATED', message: 'refused: past deadline', reason: 'past_deadline' }, isDisposed: true });
    expect(await outcome(ask())).toEqual({ code: 'UNAVAILABLE' });
  });
});
