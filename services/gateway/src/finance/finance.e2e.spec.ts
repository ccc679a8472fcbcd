/**
 * The Finance API end to end (seed 000 and its extensions): a real gateway and a real ledger
 * in-process, on a database and NATS prefix of this test's own.
 */
import { call, newIdempotencyKey, Stack, TIME, type Answer, type RegisteredApp } from '../../test/gateway-harness';

jest.setTimeout(60000);

const SNOWFLAKE = '169015299834642432'; // above 2^53: a JSON number would round it to ...640

describe('gateway Finance API', () => {
  let stack: Stack;
  let app: RegisteredApp;

  const admin = (method: string, url: string, body?: object) => stack.admin(method, url, body);
  const finance = (method: string, url: string, body?: object | string, idempotencyKey?: string, apiKey = app.api_key) =>
    stack.app(apiKey, method, url, body, idempotencyKey);
  const registerApp = (name: string) => stack.registerApp(name);
  const coins = async (userId: string) => {
    const answer = await finance('GET', `/finance/balance/${userId}`);
    expect(answer.status).toBe(200);
    return answer.body.balances.find((line: { currency: string }) => line.currency === 'coins');
  };

  beforeAll(async () => {
    stack = await Stack.start('gateway_finance');
    app = await registerApp('Blackjack');
  });

  afterAll(() => stack?.close());

  describe('seed 000, as its curl commands send it', () => {
    it('opens an event with no body, posts a snowflake credit in it, pings, closes, and the credit is posted', async () => {
      const opened = await finance('POST', '/finance/event');
      expect(opened.status).toBe(201);
      expect(opened.body).toEqual({ event_id: expect.any(Number), status: 'open', expires_at: TIME });
      const eventId = opened.body.event_id as number;

      const raw = `{"user_id": ${SNOWFLAKE}, "event_id": ${eventId}, "type": "credit", "amount": 15, "description": "test transaction"}`;
      const posted = await finance('POST', '/finance/transaction', raw);
      expect(posted.status).toBe(201);
      expect(posted.body).toEqual({
        transaction_id: expect.any(Number),
        event_id: eventId,
        user_id: SNOWFLAKE,
        type: 'credit',
        amount: '15',
        currency: 'coins',
        status: 'pending',
        description: 'test transaction',
        created_at: TIME,
      });
      expect(await coins(SNOWFLAKE)).toMatchObject({ posted: '0', pending_credit: '15', available: '0' });

      const pinged = await finance('POST', `/finance/event/${eventId}/ping`);
      expect(pinged.status).toBe(200);
      expect(pinged.body).toEqual({ event_id: eventId, status: 'open', expires_at: TIME });

      const closed = await finance('POST', `/finance/event/${eventId}/close`);
      expect(closed.status).toBe(200);
      expect(closed.body).toEqual({ event_id: eventId, status: 'closed', closed_at: TIME });
      expect(await coins(SNOWFLAKE)).toEqual({
        currency: 'coins',
        available: '15',
        posted: '15',
        pending_debit: '0',
        pending_credit: '0',
      });

      const details = await finance('GET', `/finance/event/${eventId}`);
      expect(details.status).toBe(200);
      expect(details.body).toMatchObject({ event_id: eventId, app_id: app.app_id, status: 'closed', closed_at: TIME });
      expect(details.body.transactions).toEqual([
        expect.objectContaining({ transaction_id: posted.body.transaction_id, user_id: SNOWFLAKE, status: 'posted' }),
      ]);

      const again = await finance('POST', `/finance/event/${eventId}/ping`);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('EVENT_NOT_OPEN');
    });

    it('answers a strong read of an open event from the ledger, of a settled one from the read models it points to', async () => {
      const { body: opened } = await finance('POST', '/finance/event', { description: 'strong' });
      const posted = await finance('POST', '/finance/transaction', { user_id: 'strong-reader', event_id: opened.event_id, type: 'credit', amount: 3 });
      const open = await finance('GET', `/finance/event/${opened.event_id}?consistency=strong`);
      expect(open.status).toBe(200);
      expect(open.body).toMatchObject({ event_id: opened.event_id, status: 'open', description: 'strong', closed_at: null });
      expect(open.body.transactions).toEqual([expect.objectContaining({ transaction_id: posted.body.transaction_id, status: 'pending' })]);

      expect((await finance('POST', `/finance/event/${opened.event_id}/close`)).status).toBe(200);
      const settled = await finance('GET', `/finance/event/${opened.event_id}?consistency=strong`);
      expect(settled.status).toBe(200);
      expect(settled.body).toMatchObject({ event_id: opened.event_id, status: 'closed', description: 'strong', closed_at: TIME });
      expect(settled.body.transactions).toEqual([expect.objectContaining({ transaction_id: posted.body.transaction_id, status: 'posted' })]);
      expect(Object.keys(settled.body)).not.toContain('settled');
    });
  });

  describe('money', () => {
    it('grants, debits, transfers exactly, and refuses an overdraft without changing anything', async () => {
      const granted = await admin('POST', '/admin/grants', { user_id: 'alice', amount: '1000000000000000000' });
      expect(granted.status).toBe(201);
      expect(granted.body).toMatchObject({ user_id: 'alice', type: 'grant', amount: '1000000000000000000', status: 'posted', event_id: null });
      expect(granted.headers['x-coffer-position']).toMatch(/^\d+$/);

      const debit = await finance('POST', '/finance/transaction', { user_id: 'alice', type: 'debit', amount: 1 });
      expect(debit.status).toBe(201);
      expect(debit.body).toMatchObject({ type: 'debit', status: 'posted', amount: '1' });

      const transfer = await finance('POST', '/finance/transfer', { from_user_id: 'alice', to_user_id: 42, amount: '9' });
      expect(transfer.status).toBe(201);
      expect(transfer.body).toEqual({
        transaction_id: expect.any(Number),
        from_user_id: 'alice',
        to_user_id: '42',
        type: 'transfer',
        amount: '9',
        currency: 'coins',
        status: 'posted',
        description: null,
        created_at: TIME,
      });

      const overdraft = await finance('POST', '/finance/transaction', { user_id: '42', type: 'debit', amount: 10 });
      expect(overdraft.status).toBe(422);
      expect(overdraft.body.error.code).toBe('INSUFFICIENT_FUNDS');
      expect(await coins('alice')).toMatchObject({ posted: '999999999999999990', available: '999999999999999990' });
      expect(await coins('42')).toMatchObject({ posted: '9', available: '9' });
    });

    it('holds a pending debit of an open event at once', async () => {
      await admin('POST', '/admin/grants', { user_id: 'bob', amount: 10, currency: 'gems' });
      const { body: event } = await finance('POST', '/finance/event', { description: 'round 1' });
      const held = await finance('POST', '/finance/transaction', {
        user_id: 'bob',
        event_id: event.event_id,
        type: 'debit',
        amount: 7,
        currency: 'gems',
      });
      expect(held.body).toMatchObject({ status: 'pending', currency: 'gems' });
      const balances = (await finance('GET', '/finance/balance/bob?consistency=strong')).body.balances;
      expect(balances).toEqual([{ currency: 'gems', available: '3', posted: '10', pending_debit: '7', pending_credit: '0' }]);
    });

    it.each(['', '?consistency=strong'])('gives an unknown user a zero balance in the default currency (%s)', async (query) => {
      const zero = { currency: 'coins', available: '0', posted: '0', pending_debit: '0', pending_credit: '0' };
      const answer = await finance('GET', `/finance/balance/nobody${query}`);
      expect(answer).toMatchObject({ status: 200, body: { user_id: 'nobody', balances: [zero] } });
    });
  });

  describe('idempotency', () => {
    it('answers a retry with the first response, whatever the key order or number form, and changes nothing', async () => {
      await admin('POST', '/admin/grants', { user_id: 'carol', amount: 100 });
      const key = newIdempotencyKey();
      const first = await finance('POST', '/finance/transaction', { user_id: 'carol', type: 'debit', amount: 30 }, key);
      const retry = await finance('POST', '/finance/transaction', { amount: '30', type: 'debit', user_id: 'carol' }, key);
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expect(retry.headers['x-coffer-position']).toBe(first.headers['x-coffer-position']);
      expect(await coins('carol')).toMatchObject({ posted: '70' });
    });

    it('refuses the same key with another body, and scopes keys to the app', async () => {
      const key = newIdempotencyKey();
      expect((await finance('POST', '/finance/event', { description: 'a' }, key)).status).toBe(201);
      const reused = await finance('POST', '/finance/event', { description: 'b' }, key);
      expect(reused.status).toBe(422);
      expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      const elsewhere = await finance('POST', '/finance/event/1/close', undefined, key);
      expect(elsewhere.body.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');

      const other = await registerApp('Poker');
      const sameKeyOtherApp = await finance('POST', '/finance/event', { description: 'b' }, key, other.api_key);
      expect(sameKeyOtherApp.status).toBe(201);
      expect(sameKeyOtherApp.headers['idempotent-replayed']).toBeUndefined();
    });

    it('refuses a malformed Idempotency-Key', async () => {
      const answer = await call(stack.gateway, 'POST', '/finance/event', { token: app.api_key, idempotencyKey: 'x'.repeat(256) });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('validation', () => {
    const refused = (answer: Answer, code = 'VALIDATION_FAILED', status = 400) => {
      expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
      return answer.body.error;
    };

    const valid = { user_id: 'u', type: 'credit', amount: 1 };
    it.each([
      ['a zero amount', { amount: 0 }, 'amount'],
      ['a fractional amount', { amount: 1.5 }, 'amount'],
      ['a 1e3 amount string', { amount: '1e3' }, 'amount'],
      ['an amount above 10^18', { amount: '1000000000000000001' }, 'amount'],
      ['a boolean amount', { amount: true }, 'amount'],
      ['a user id with a space', { user_id: 'a b' }, 'user_id'],
      ['a negative user id', { user_id: -3 }, 'user_id'],
      ['an unknown type', { type: 'refund' }, 'type'],
      ['an upper-case currency', { currency: 'COINS' }, 'currency'],
      ['event id 0', { event_id: 0 }, 'event_id'],
      ['a 501-character description', { description: 'x'.repeat(501) }, 'description'],
      ['an unknown field', { app_id: 'app_2' }, 'app_id'],
    ])('refuses %s, naming the field', async (_case, change, field) => {
      const error = refused(await finance('POST', '/finance/transaction', { ...valid, ...change }));
      expect(Object.keys(error.details.fields)).toEqual([field]);
    });

    it('refuses a negative integer beyond 2^53 as a user id, and a self-transfer', async () => {
      refused(await finance('POST', '/finance/transaction', `{"user_id": -${SNOWFLAKE}, "type": "credit", "amount": 1}`));
      refused(await finance('POST', '/finance/transfer', { from_user_id: 7, to_user_id: '7', amount: 1 }));
    });

    it('refuses malformed JSON and bodies that are not objects', async () => {
      refused(await finance('POST', '/finance/transaction', '{"user_id": '), 'MALFORMED_JSON');
      refused(await finance('POST', '/finance/transaction', '[1]'));
    });

    it.each(['0', '-1', '1e3', '0x10', '12.0', 'abc', '9007199254740993'])('refuses event id %p in a path', async (id) => {
      refused(await finance('POST', `/finance/event/${id}/ping`));
      refused(await finance('GET', `/finance/event/${id}`));
    });

    it('answers 404 for an unknown event and for another app\'s event', async () => {
      refused(await finance('GET', '/finance/event/999999'), 'NOT_FOUND', 404);
      const other = await registerApp('Slots');
      const { body: theirs } = await finance('POST', '/finance/event', undefined, undefined, other.api_key);
      refused(await finance('GET', `/finance/event/${theirs.event_id}`), 'NOT_FOUND', 404);
      refused(await finance('POST', `/finance/event/${theirs.event_id}/close`), 'NOT_FOUND', 404);
    });

    it('checks the balance route\'s user id and query', async () => {
      refused(await finance('GET', `/finance/balance/${'x'.repeat(65)}`));
      refused(await finance('GET', '/finance/balance/alice?consistency=maybe'));
      refused(await finance('GET', '/finance/balance/alice?limit=3'));
      expect((await finance('GET', '/finance/balance/alice?consistency=eventual')).status).toBe(200);
    });
  });

  it('documents every route at /docs', async () => {
    const document = await call(stack.gateway, 'GET', '/docs/openapi.json');
    expect(document.status).toBe(200);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/admin/apps',
        '/admin/apps/{app_id}/keys',
        '/admin/apps/{app_id}/keys/{key_id}',
        '/admin/grants',
        '/finance/event',
        '/finance/event/{id}/ping',
        '/finance/event/{id}/close',
        '/finance/event/{id}',
        '/finance/transaction',
        '/finance/transfer',
        '/finance/balance/{user_id}',
      ]),
    );
    const schemas = document.body.components.schemas;
    expect(schemas.PostTransactionDto.required).toEqual(expect.arrayContaining(['user_id', 'type', 'amount']));
    expect(schemas.PostTransactionDto.properties.description).toMatchObject({ type: 'string', maxLength: 500 });
    expect(schemas.TransactionView.properties.amount.description).toMatch(/string of digits/);
    expect(document.body.paths['/finance/transaction'].post.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }),
    );
  });
});
