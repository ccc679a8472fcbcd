/**
 * Aborting a finance event and reversing a posted transaction (API.md "Money operations beyond
 * seed 000") end to end: a real gateway, ledger and projector in-process, on a database and NATS
 * prefix of this test's own, through the typed test client.
 */
import { api, newIdempotencyKey, Stack, TIME, type RegisteredApp } from '../../test/gateway-harness';

jest.setTimeout(60000);

describe('abort and reversal', () => {
  let stack: Stack;
  let app: RegisteredApp;
  let other: RegisteredApp;

  const finance = (apiKey = app.api_key) => stack.as(apiKey);
  const coins = async (userId: string) => {
    const answer = await finance().balance(userId, { consistency: 'strong' });
    expect(answer.status).toBe(200);
    return answer.reply.balances.find((line) => line.currency === 'coins');
  };
  const grant = async (user_id: string, amount: number) => {
    const granted = await stack.admin.grant({ user_id, amount });
    expect(granted.status).toBe(201);
    return granted.reply;
  };

  beforeAll(async () => {
    stack = await Stack.start('gateway_abort_reversal');
    app = await stack.registerApp('Roulette');
    other = await stack.registerApp('Dice');
  });

  afterAll(() => stack?.close());

  describe('POST /finance/event/:id/abort', () => {
    it('voids every pending transaction now, as an expiry would, and the event shows aborted', async () => {
      await grant('ab-alice', 100);
      const eventId = (await finance().openEvent({ description: 'round 7' })).reply.event_id;
      const bet = await finance().postTransaction({ user_id: 'ab-alice', event_id: eventId, type: 'debit', amount: 30 });
      const win = await finance().postTransaction({ user_id: 'ab-bob', event_id: eventId, type: 'credit', amount: 50 });
      expect(await coins('ab-alice')).toMatchObject({ available: '70', pending_debit: '30' });

      const key = newIdempotencyKey();
      const aborted = await finance().abortEvent(eventId, { idempotencyKey: key });
      expect(aborted.status).toBe(200);
      expect(aborted.body).toEqual({ event_id: eventId, status: 'aborted', aborted_at: TIME });
      expect(await coins('ab-alice')).toEqual({ currency: 'coins', available: '100', posted: '100', pending_debit: '0', pending_credit: '0' });
      expect(await coins('ab-bob')).toMatchObject({ posted: '0', pending_credit: '0' });

      // Replayed with its key: the first answer, nothing changes.
      const again = await finance().abortEvent(eventId, { idempotencyKey: key });
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(aborted.body);

      const details = await finance().event(eventId, { consistency: 'strong' });
      expect(details.status).toBe(200);
      expect(details.body).toMatchObject({ event_id: eventId, status: 'aborted', aborted_at: aborted.reply.aborted_at, closed_at: null, expired_at: null });
      expect(details.reply.transactions.map((tx) => [tx.transaction_id, tx.status])).toEqual([
        [bet.reply.transaction_id, 'voided'],
        [win.reply.transaction_id, 'voided'],
      ]);

      // Not open any more: abort, close, ping and post refuse it.
      expect((await finance().abortEvent(eventId)).error).toMatchObject({ code: 'EVENT_NOT_OPEN', details: { status: 'aborted' } });
      expect((await finance().closeEvent(eventId)).status).toBe(409);
      expect((await finance().postTransaction({ user_id: 'ab-alice', event_id: eventId, type: 'debit', amount: 1 })).status).toBe(409);
      // A voided transaction cannot be reversed.
      expect((await finance().reverseTransaction(bet.reply.transaction_id)).error).toMatchObject({ code: 'CONFLICT', details: { status: 'voided' } });
    });

    it("another app's event, or none, is 404; a closed one is 409; a bad id is 400", async () => {
      const eventId = (await finance().openEvent()).reply.event_id;
      expect((await finance(other.api_key).abortEvent(eventId)).error.code).toBe('NOT_FOUND');
      expect((await finance().abortEvent(999_999)).error.code).toBe('NOT_FOUND');
      expect((await finance().abortEvent('abc')).error.code).toBe('VALIDATION_FAILED');
      expect((await finance().closeEvent(eventId)).status).toBe(200);
      expect((await finance().abortEvent(eventId)).error).toMatchObject({ code: 'EVENT_NOT_OPEN', details: { status: 'closed' } });
      expect((await api(stack.gateway).abortEvent(eventId)).status).toBe(401);
    });
  });

  describe('POST /finance/transactions/:id/reverse', () => {
    it('reverses in part, then what is left by default, never more: each a posted reversal linked to its original', async () => {
      const credit = (await finance().postTransaction({ user_id: 'rv-carol', type: 'credit', amount: 40, description: 'prize' })).reply;
      const key = newIdempotencyKey();
      const part = await finance().reverseTransaction(credit.transaction_id, { amount: 15, description: 'wrong winner' }, { idempotencyKey: key });
      expect(part.status).toBe(201);
      expect(part.body).toEqual({
        transaction_id: expect.any(Number),
        event_id: null,
        user_id: 'rv-carol',
        type: 'reversal',
        amount: '15',
        currency: 'coins',
        status: 'posted',
        description: 'wrong winner',
        reverses_transaction_id: credit.transaction_id,
        created_at: TIME,
      });
      expect(await coins('rv-carol')).toMatchObject({ posted: '25' });

      // The same key and body: the first answer, nothing moves; another body: refused.
      const replay = await finance().reverseTransaction(credit.transaction_id, { amount: 15, description: 'wrong winner' }, { idempotencyKey: key });
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(part.body);
      expect((await finance().reverseTransaction(credit.transaction_id, { amount: 16 }, { idempotencyKey: key })).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await coins('rv-carol')).toMatchObject({ posted: '25' });

      const tooMuch = await finance().reverseTransaction(credit.transaction_id, { amount: 26 });
      expect(tooMuch.status).toBe(422);
      expect(tooMuch.error).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { reversible: '25', requested: '26', currency: 'coins' } });

      const rest = await finance().reverseTransaction(credit.transaction_id);
      expect(rest.status).toBe(201);
      expect(rest.reply).toMatchObject({ amount: '25', type: 'reversal', reverses_transaction_id: credit.transaction_id });
      expect(await coins('rv-carol')).toMatchObject({ posted: '0' });
      expect((await finance().reverseTransaction(credit.transaction_id, { amount: 1 })).error).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { reversible: '0' } });
      // A reversal is not reversed.
      expect((await finance().reverseTransaction(rest.reply.transaction_id)).error).toMatchObject({ code: 'CONFLICT', details: { type: 'reversal' } });

      // The list shows the reversals with their link (the read model's column), filterable by type.
      const listed = await finance().transactions({ user_id: 'rv-carol', type: 'reversal', consistency: 'strong' });
      expect(listed.status).toBe(200);
      expect(listed.reply.data.map((tx) => [tx.transaction_id, tx.amount, tx.reverses_transaction_id])).toEqual([
        [rest.reply.transaction_id, '25', credit.transaction_id],
        [part.reply.transaction_id, '15', credit.transaction_id],
      ]);
      // So does the wallet's statement: each reversal a movement out, with its link.
      const statement = await finance().statement('rv-carol');
      expect(statement.status).toBe(200);
      expect(statement.reply.movements.map((m) => [m.type, m.amount, m.balance, m.reverses_transaction_id])).toEqual([
        ['credit', '40', '40', null],
        ['reversal', '-15', '25', credit.transaction_id],
        ['reversal', '-25', '0', credit.transaction_id],
      ]);
    });

    it('never takes a wallet below zero (422 INSUFFICIENT_FUNDS): the credited user spent it', async () => {
      const credit = (await finance().postTransaction({ user_id: 'rv-dave', type: 'credit', amount: 20 })).reply;
      await finance().postTransaction({ user_id: 'rv-dave', type: 'debit', amount: 15 });
      const refused = await finance().reverseTransaction(credit.transaction_id);
      expect(refused.error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', details: { available: '5', requested: '20' } });
      expect((await finance().reverseTransaction(credit.transaction_id, { amount: '5' })).status).toBe(201);
      expect(await coins('rv-dave')).toMatchObject({ posted: '0' });
    });

    it("a transfer's reversal goes from the receiver back to the sender, and shows on both sides", async () => {
      await grant('rv-erin', 50);
      const sent = await finance().transfer({ from_user_id: 'rv-erin', to_user_id: 'rv-frank', amount: 30 });
      const back = await finance().reverseTransaction(sent.reply.transaction_id, { amount: 10 });
      expect(back.reply).toMatchObject({ user_id: 'rv-frank', to_user_id: 'rv-erin', type: 'reversal', amount: '10' });
      expect(await coins('rv-erin')).toMatchObject({ posted: '30' });
      expect(await coins('rv-frank')).toMatchObject({ posted: '20' });
      const erins = await finance().transactions({ user_id: 'rv-erin', consistency: 'strong' });
      expect(erins.reply.data[0]).toMatchObject({ transaction_id: back.reply.transaction_id, reverses_transaction_id: sent.reply.transaction_id });
    });

    it("a pending transaction is 409; another app's, a grant or none is 404; bad input is 400", async () => {
      const eventId = (await finance().openEvent()).reply.event_id;
      const held = await finance().postTransaction({ user_id: 'rv-gus', event_id: eventId, type: 'credit', amount: 5 });
      expect((await finance().reverseTransaction(held.reply.transaction_id)).error).toMatchObject({ code: 'CONFLICT', details: { status: 'pending' } });
      const mine = (await finance().postTransaction({ user_id: 'rv-gus', type: 'credit', amount: 5 })).reply;
      expect((await finance(other.api_key).reverseTransaction(mine.transaction_id)).error.code).toBe('NOT_FOUND');
      const granted = await grant('rv-gus', 5);
      expect((await finance().reverseTransaction(granted.transaction_id)).error.code).toBe('NOT_FOUND');
      expect((await finance().reverseTransaction(999_999)).error.code).toBe('NOT_FOUND');
      for (const body of [{ amount: 0 }, { amount: -1 }, { amount: 1.5 }, { amount: 'x' }, { description: 'a'.repeat(501) }] as object[]) {
        expect((await finance().send('POST', `/finance/transactions/${mine.transaction_id}/reverse`, { body })).error.code).toBe('VALIDATION_FAILED');
      }
      expect((await finance().reverseTransaction('0')).error.code).toBe('VALIDATION_FAILED');
      expect((await finance().send('POST', `/finance/transactions/${mine.transaction_id}/reverse`, { body: { amount: 1, extra: true } })).status).toBe(400);
    });

    it('the admin reverses any transaction through /admin/transactions/:id/reverse, a grant included; an app key may not use it', async () => {
      const granted = await grant('rv-hal', 70);
      const reversed = await stack.admin.adminReverseTransaction(granted.transaction_id, { amount: 20 });
      expect(reversed.status).toBe(201);
      expect(reversed.reply).toMatchObject({ type: 'reversal', amount: '20', user_id: 'rv-hal', reverses_transaction_id: granted.transaction_id });
      const appCredit = (await finance().postTransaction({ user_id: 'rv-hal', type: 'credit', amount: 10 })).reply;
      expect((await stack.admin.adminReverseTransaction(appCredit.transaction_id)).reply).toMatchObject({ amount: '10', reverses_transaction_id: appCredit.transaction_id });
      expect(await coins('rv-hal')).toMatchObject({ posted: '50' });
      expect((await finance().adminReverseTransaction(granted.transaction_id)).status).toBe(401);
      // The app's route with the admin token is not the admin's door.
      expect((await stack.admin.reverseTransaction(appCredit.transaction_id)).status).toBe(401);
    });
  });
});
