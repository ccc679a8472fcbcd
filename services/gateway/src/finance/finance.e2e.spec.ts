/**
 * The Finance API end to end (seed 000 and its extensions): a real gateway and a real ledger
 * in-process, on a database and NATS prefix of this test's own.
 */
import type { BalanceView, TransactionView } from '@coffer/contracts/http';
import type { Answer } from '../../test/api-client';
import { api, newIdempotencyKey, Stack, TIME, type RegisteredApp } from '../../test/gateway-harness';

jest.setTimeout(60000);

const SNOWFLAKE = '169015299834642432'; // above 2^53: a JSON number would round it to ...640

describe('gateway Finance API', () => {
  let stack: Stack;
  let app: RegisteredApp;

  const admin = () => stack.admin;
  /** The app's client (another app's with its key). */
  const finance = (apiKey = app.api_key) => stack.as(apiKey);
  const registerApp = (name: string) => stack.registerApp(name);
  const coins = async (userId: string) => {
    const answer = await finance().balance(userId);
    expect(answer.status).toBe(200);
    return answer.reply.balances.find((line) => line.currency === 'coins');
  };

  beforeAll(async () => {
    stack = await Stack.start('gateway_finance');
    app = await registerApp('Blackjack');
  });

  afterAll(() => stack?.close());

  describe('seed 000, as its curl commands send it', () => {
    it('opens an event with no body, posts a snowflake credit in it, pings, closes, and the credit is posted', async () => {
      const opened = await finance().openEvent();
      expect(opened.status).toBe(201);
      expect(opened.body).toEqual({ event_id: expect.any(Number), status: 'open', expires_at: TIME });
      const eventId = opened.reply.event_id;

      const raw = `{"user_id": ${SNOWFLAKE}, "event_id": ${eventId}, "type": "credit", "amount": 15, "description": "test transaction"}`;
      const posted = await finance().send<TransactionView>('POST', '/finance/transaction', { body: raw });
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
        reverses_transaction_id: null,
        created_at: TIME,
      });
      expect(await coins(SNOWFLAKE)).toMatchObject({ posted: '0', pending_credit: '15', available: '0' });

      const pinged = await finance().pingEvent(eventId);
      expect(pinged.status).toBe(200);
      expect(pinged.body).toEqual({ event_id: eventId, status: 'open', expires_at: TIME });

      const closed = await finance().closeEvent(eventId);
      expect(closed.status).toBe(200);
      expect(closed.body).toEqual({ event_id: eventId, status: 'closed', closed_at: TIME });
      expect(await coins(SNOWFLAKE)).toEqual({
        currency: 'coins',
        available: '15',
        posted: '15',
        pending_debit: '0',
        pending_credit: '0',
      });

      const details = await finance().event(eventId);
      expect(details.status).toBe(200);
      expect(details.body).toMatchObject({ event_id: eventId, app_id: app.app_id, status: 'closed', closed_at: TIME });
      expect(details.reply.transactions).toEqual([
        expect.objectContaining({ transaction_id: posted.reply.transaction_id, user_id: SNOWFLAKE, status: 'posted' }),
      ]);

      const again = await finance().pingEvent(eventId);
      expect(again.status).toBe(409);
      expect(again.error.code).toBe('EVENT_NOT_OPEN');
    });

    it('answers a strong read of an open event from the ledger, of a settled one from the read models it points to', async () => {
      const { reply: opened } = await finance().openEvent({ description: 'strong' });
      const posted = await finance().postTransaction({ user_id: 'strong-reader', event_id: opened.event_id, type: 'credit', amount: 3 });
      const open = await finance().event(opened.event_id, { consistency: 'strong' });
      expect(open.status).toBe(200);
      expect(open.body).toMatchObject({ event_id: opened.event_id, status: 'open', description: 'strong', closed_at: null });
      expect(open.reply.transactions).toEqual([expect.objectContaining({ transaction_id: posted.reply.transaction_id, status: 'pending' })]);

      expect((await finance().closeEvent(opened.event_id)).status).toBe(200);
      const settled = await finance().event(opened.event_id, { consistency: 'strong' });
      expect(settled.status).toBe(200);
      expect(settled.body).toMatchObject({ event_id: opened.event_id, status: 'closed', description: 'strong', closed_at: TIME });
      expect(settled.reply.transactions).toEqual([expect.objectContaining({ transaction_id: posted.reply.transaction_id, status: 'posted' })]);
      expect(Object.keys(settled.reply)).not.toContain('settled');
    });
  });

  describe('money', () => {
    it('grants, debits, transfers exactly, and refuses an overdraft without changing anything', async () => {
      const granted = await admin().grant({ user_id: 'alice', amount: '1000000000000000000' });
      expect(granted.status).toBe(201);
      expect(granted.body).toMatchObject({ user_id: 'alice', type: 'grant', amount: '1000000000000000000', status: 'posted', event_id: null });
      expect(granted.headers['x-coffer-position']).toMatch(/^\d+$/);

      const debit = await finance().postTransaction({ user_id: 'alice', type: 'debit', amount: 1 });
      expect(debit.status).toBe(201);
      expect(debit.body).toMatchObject({ type: 'debit', status: 'posted', amount: '1' });

      const transfer = await finance().transfer({ from_user_id: 'alice', to_user_id: 42, amount: '9' });
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

      const overdraft = await finance().postTransaction({ user_id: '42', type: 'debit', amount: 10 });
      expect(overdraft.status).toBe(422);
      expect(overdraft.error.code).toBe('INSUFFICIENT_FUNDS');
      expect(await coins('alice')).toMatchObject({ posted: '999999999999999990', available: '999999999999999990' });
      expect(await coins('42')).toMatchObject({ posted: '9', available: '9' });
    });

    it('holds a pending debit of an open event at once', async () => {
      await admin().grant({ user_id: 'bob', amount: 10, currency: 'gems' });
      const { reply: event } = await finance().openEvent({ description: 'round 1' });
      const held = await finance().postTransaction({
        user_id: 'bob',
        event_id: event.event_id,
        type: 'debit',
        amount: 7,
        currency: 'gems',
      });
      expect(held.body).toMatchObject({ status: 'pending', currency: 'gems' });
      const balances = (await finance().balance('bob', { consistency: 'strong' })).reply.balances;
      expect(balances).toEqual([{ currency: 'gems', available: '3', posted: '10', pending_debit: '7', pending_credit: '0' }]);
    });

    it.each(['', '?consistency=strong'])('gives an unknown user a zero balance in the default currency (%s)', async (query) => {
      const zero = { currency: 'coins', available: '0', posted: '0', pending_debit: '0', pending_credit: '0' };
      const answer = await finance().send<BalanceView>('GET', `/finance/balance/nobody${query}`);
      expect(answer).toMatchObject({ status: 200, body: { user_id: 'nobody', balances: [zero] } });
    });
  });

  describe('idempotency', () => {
    it('answers a retry with the first response, whatever the key order or number form, and changes nothing', async () => {
      await admin().grant({ user_id: 'carol', amount: 100 });
      const key = newIdempotencyKey();
      const first = await finance().postTransaction({ user_id: 'carol', type: 'debit', amount: 30 }, { idempotencyKey: key });
      const retry = await finance().postTransaction({ amount: '30', type: 'debit', user_id: 'carol' }, { idempotencyKey: key });
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
      expect((await finance().openEvent({ description: 'a' }, { idempotencyKey: key })).status).toBe(201);
      const reused = await finance().openEvent({ description: 'b' }, { idempotencyKey: key });
      expect(reused.status).toBe(422);
      expect(reused.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      const elsewhere = await finance().closeEvent(1, { idempotencyKey: key });
      expect(elsewhere.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

      const other = await registerApp('Poker');
      const sameKeyOtherApp = await finance(other.api_key).openEvent({ description: 'b' }, { idempotencyKey: key });
      expect(sameKeyOtherApp.status).toBe(201);
      expect(sameKeyOtherApp.headers['idempotent-replayed']).toBeUndefined();
    });

    it('refuses a malformed Idempotency-Key', async () => {
      const answer = await api(stack.gateway, app.api_key).openEvent(undefined, { idempotencyKey: 'x'.repeat(256) });
      expect(answer.status).toBe(400);
      expect(answer.error.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('validation', () => {
    const refused = (answer: Answer<unknown>, code = 'VALIDATION_FAILED', status = 400) => {
      expect({ status: answer.status, code: answer.error.code }).toEqual({ status, code });
      return answer.error;
    };
    /** Hostile bodies: whatever the DTO's type would not let through. */
    const post = (path: string, body?: object | string) => finance().send('POST', path, { body });
    const get = (path: string) => finance().send('GET', path);

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
      const error = refused(await post('/finance/transaction', { ...valid, ...change }));
      expect(Object.keys(error.details?.fields ?? {})).toEqual([field]);
    });

    it('refuses a negative integer beyond 2^53 as a user id, and a self-transfer', async () => {
      refused(await post('/finance/transaction', `{"user_id": -${SNOWFLAKE}, "type": "credit", "amount": 1}`));
      refused(await finance().transfer({ from_user_id: 7, to_user_id: '7', amount: 1 }));
    });

    it('refuses malformed JSON and bodies that are not objects', async () => {
      refused(await post('/finance/transaction', '{"user_id": '), 'MALFORMED_JSON');
      refused(await post('/finance/transaction', '[1]'));
    });

    it.each(['0', '-1', '1e3', '0x10', '12.0', 'abc', '9007199254740993'])('refuses event id %p in a path', async (id) => {
      refused(await finance().pingEvent(id));
      refused(await finance().event(id));
    });

    it('answers 404 for an unknown event and for another app\'s event', async () => {
      refused(await finance().event(999999), 'NOT_FOUND', 404);
      const other = await registerApp('Slots');
      const { reply: theirs } = await finance(other.api_key).openEvent();
      refused(await finance().event(theirs.event_id), 'NOT_FOUND', 404);
      refused(await finance().closeEvent(theirs.event_id), 'NOT_FOUND', 404);
    });

    it('checks the balance route\'s user id and query', async () => {
      refused(await finance().balance('x'.repeat(65)));
      refused(await finance().balance('alice', 'consistency=maybe'));
      refused(await get('/finance/balance/alice?limit=3'));
      expect((await finance().balance('alice', { consistency: 'eventual' })).status).toBe(200);
    });
  });

  it('documents every route at /docs', async () => {
    const document = await api(stack.gateway).openApi();
    expect(document.status).toBe(200);
    expect(Object.keys(document.reply.paths)).toEqual(
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
    const schemas = document.reply.components.schemas;
    expect(schemas.PostTransactionDto.required).toEqual(expect.arrayContaining(['user_id', 'type', 'amount']));
    expect(schemas.PostTransactionDto.properties.description).toMatchObject({ type: 'string', maxLength: 500 });
    expect(schemas.TransactionView.properties.amount.description).toMatch(/string of digits/);
    expect(document.reply.paths['/finance/transaction'].post.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }),
    );
  });
});
