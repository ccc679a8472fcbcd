/**
 * The routes the operators' console reads beyond the app routes: money supply, open finance
 * events, a user across apps, projection status, verify and rebuild as jobs, and the live event
 * stream (server-sent events over real HTTP), on a real stack.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { MAX_EVENT_STREAMS } from '../src/operations/event-streams';
import { EventStreams } from '../src/operations/event-streams';
import { ApiClient } from './api-client';
import { ADMIN_TOKEN, Stack, until } from './gateway-harness';
import { listenOnLoopback } from './http-client';

jest.setTimeout(120_000);

/** An open text/event-stream response and what it has sent so far. */
interface OpenStream {
  response: IncomingMessage;
  text: () => string;
  close: () => void;
}

function openStream(base: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const url = new URL('/admin/events/stream', base);
    const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } }, (response) => {
      let received = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (received += chunk));
      response.on('error', () => undefined);
      resolve({ response, text: () => received, close: () => request.destroy() });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('operators console routes', () => {
  let stack: Stack;
  let base: string;
  let admin: ApiClient;

  beforeAll(async () => {
    stack = await Stack.start('console-routes');
    base = await listenOnLoopback(stack.gateway);
    admin = ApiClient.http(base, ADMIN_TOKEN);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('answers the money supply per currency, open events of every app and a user across apps', async () => {
    const game = await stack.registerApp('supply game');
    const app = ApiClient.http(base, game.api_key);
    expect((await admin.grant({ user_id: 'supply-alice', amount: 500 })).status).toBe(201);
    expect((await admin.grant({ user_id: 'supply-bob', amount: 7, currency: 'gems' })).status).toBe(201);
    const round = (await app.openEvent({ description: 'round 1' })).reply;
    expect((await app.postTransaction({ user_id: 'supply-alice', event_id: round.event_id, type: 'debit', amount: 20 })).status).toBe(201);

    const supply = await until(
      () => admin.send<{ data: Array<Record<string, unknown>> }>('GET', '/admin/stats/supply'),
      (answer) => answer.status === 200 && JSON.stringify(answer.body).includes('"pending_debit":"20"'),
    );
    expect(supply.reply.data).toEqual([
      { currency: 'coins', supply: '500', pending_debit: '20', pending_credit: '0', wallets: 1 },
      { currency: 'gems', supply: '7', pending_debit: '0', pending_credit: '0', wallets: 1 },
    ]);

    const open = (await admin.send<{ data: Array<{ event_id: number; app_id: string }>; next_cursor: string | null }>('GET', '/admin/finance-events')).reply;
    expect(open.data).toEqual([expect.objectContaining({ event_id: round.event_id, app_id: game.app_id, description: 'round 1' })]);
    expect((await admin.send('GET', '/admin/finance-events?limit=0')).errorCode).toBe('VALIDATION_FAILED');

    const user = (await admin.send<any>('GET', '/admin/users/supply-alice')).reply;
    expect(user.balances).toEqual([{ currency: 'coins', available: '480', posted: '500', pending_debit: '20', pending_credit: '0' }]);
    expect(user.transactions.map((t: any) => [t.type, t.amount, t.status])).toEqual([
      ['debit', '20', 'pending'],
      ['grant', '500', 'posted'],
    ]);
    expect(user.achievements).toEqual([]);
    const statement = (await admin.send<any>('GET', '/admin/users/supply-alice/statement?currency=coins')).reply;
    expect([statement.opening_balance, statement.closing_balance, statement.movements.length]).toEqual(['0', '500', 1]);
    expect((await admin.send('GET', '/admin/users/supply-alice/statement?format=csv')).errorCode).toBe('VALIDATION_FAILED');
    // An app key is not the admin token.
    expect((await app.send('GET', '/admin/stats/supply')).status).toBe(401);
  });

  it('reports projection status, verifies and rebuilds as jobs, one at a time', async () => {
    const status = (await admin.send<any>('GET', '/admin/operations/status')).reply;
    expect(status).toEqual(expect.objectContaining({ generation: expect.any(Number), quarantined: { read_models: 0, feed: 0 } }));

    const verify = await admin.send<any>('POST', '/admin/operations/verify');
    expect([verify.status, verify.reply.kind, verify.reply.status]).toEqual([202, 'verify', 'running']);
    const verified = await until(() => admin.send<any>('GET', '/admin/operations/job'), (answer) => answer.reply.job.status !== 'running', 60_000);
    expect(verified.reply.job).toEqual(expect.objectContaining({ operation_id: verify.reply.operation_id, status: 'done', result: expect.objectContaining({ ok: true, problems: [] }) }));

    const rebuild = await admin.send<any>('POST', '/admin/operations/rebuild');
    expect(rebuild.status).toBe(202);
    const rebuilt = await until(() => admin.send<any>('GET', '/admin/operations/job'), (answer) => answer.reply.job.status !== 'running', 60_000);
    expect(rebuilt.reply.job).toEqual(
      expect.objectContaining({ kind: 'rebuild', status: 'done', progress: expect.objectContaining({ done: expect.any(Number) }), result: expect.objectContaining({ generation: expect.any(Number) }) }),
    );
    // A new generation serves (verify's scratch generation took a number too).
    const serving = (await admin.send<any>('GET', '/admin/operations/status')).reply.generation;
    expect(serving).toBe(rebuilt.reply.job.result.generation);
    expect(serving).toBeGreaterThan(status.generation);
  });

  it('streams stored events as server-sent events, with heartbeats and resumption, and frees the stream when the client goes', async () => {
    const game = await stack.registerApp('stream game');
    const app = ApiClient.http(base, game.api_key);
    const stream = await openStream(base);
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const posted = (await app.postTransaction({ user_id: 'streamed-user', type: 'credit', amount: 3 })).reply;
    await until(async () => stream.text(), (text) => text.includes('event: TransactionPosted'), 20_000);
    const message = stream.text().split('\n\n').find((block) => block.includes('event: TransactionPosted'))!;
    const id = /^id: (\d+)$/m.exec(message)![1];
    const envelope = JSON.parse(/^data: (.*)$/m.exec(message)![1]);
    expect(envelope).toEqual(expect.objectContaining({ type: 'TransactionPosted', global_position: id, data: expect.objectContaining({ transaction_id: posted.transaction_id }) }));
    stream.close();

    // Resumed from the id before it: the same event again, first.
    const resumed = await openStream(base, { 'last-event-id': String(BigInt(id) - 1n) });
    await until(async () => resumed.text(), (text) => text.includes(`id: ${id}\n`), 20_000);
    resumed.close();
    expect((await admin.send('GET', '/admin/events/stream?after=x')).errorCode).toBe('VALIDATION_FAILED');
  });

  it(`serves at most ${MAX_EVENT_STREAMS} streams at once (429 beyond) and takes one again once a client has gone`, async () => {
    const streams = await Promise.all(Array.from({ length: MAX_EVENT_STREAMS }, () => openStream(base)));
    expect(streams.map((stream) => stream.response.statusCode)).toEqual(streams.map(() => 200));
    const refused = await admin.send('GET', '/admin/events/stream');
    expect([refused.status, refused.errorCode, refused.error.details]).toEqual([429, 'RATE_LIMITED', { max_streams: MAX_EVENT_STREAMS }]);
    const registry = stack.gateway.get(EventStreams);
    streams[0].close();
    await until(async () => registry.count, (count) => count === MAX_EVENT_STREAMS - 1);
    const again = await openStream(base);
    expect(again.response.statusCode).toBe(200);
    for (const stream of [again, ...streams.slice(1)]) stream.close();
    await until(async () => registry.count, (count) => count === 0);
    expect(registry.count).toBe(0);
  });
});
