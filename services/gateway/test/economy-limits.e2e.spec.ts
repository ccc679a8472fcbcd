/**
 * Allowances and per-app scopes, currencies and daily mint limits end to end (API.md, "Money
 * operations beyond seed 000"): a real gateway, ledger and projector on a database and NATS
 * prefix of this test's own, through the typed client.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { api, newIdempotencyKey, Stack, startGateway, TIME, until, untilServing, type RegisteredApp } from './gateway-harness';

jest.setTimeout(60000);

describe('allowances and app limits over the gateway', () => {
  let stack: Stack;
  let app: RegisteredApp;
  const admin = () => stack.admin;
  const game = () => stack.as(app.api_key);

  beforeAll(async () => {
    stack = await Stack.start('gateway_economy_limits');
    app = await stack.registerApp('Daily');
  });

  afterAll(() => stack?.close());

  describe('allowances', () => {
    it('the admin sets one; a user claims it once per period from the treasury; again is 409 with next_claim_at', async () => {
      const set = await admin().setAllowance('tokens', { amount: 25, period: 'daily' });
      expect(set.status).toBe(200);
      expect(set.body).toEqual({ currency: 'tokens', amount: '25', period: 'daily', updated_at: TIME });

      const idempotencyKey = newIdempotencyKey();
      const claimed = await game().claimAllowance('tokens', { user_id: 169015299834642432n.toString() }, { idempotencyKey });
      expect(claimed.status).toBe(201);
      expect(claimed.body).toMatchObject({ user_id: '169015299834642432', type: 'grant', amount: '25', currency: 'tokens', status: 'posted', description: 'daily allowance' });

      const replayed = await game().claimAllowance('tokens', { user_id: '169015299834642432' }, { idempotencyKey });
      expect([replayed.status, replayed.headers['idempotent-replayed'], replayed.body]).toEqual([201, 'true', claimed.body]);

      const again = await game().claimAllowance('tokens', { user_id: '169015299834642432' });
      expect(again.status).toBe(409);
      expect(again.error).toMatchObject({ code: 'CONFLICT', details: { period: 'daily', currency: 'tokens' } });
      const next = new Date(String(again.error.details?.next_claim_at));
      const midnight = new Date();
      midnight.setUTCHours(24, 0, 0, 0);
      expect(next.toISOString()).toBe(midnight.toISOString());

      const balance = await game().balance('169015299834642432', { consistency: 'strong' });
      expect(balance.reply.balances).toContainEqual(expect.objectContaining({ currency: 'tokens', posted: '25' }));
    });

    it('a currency without an allowance is 404; DELETE removes one (204), and a removed one is 404', async () => {
      expect((await game().claimAllowance('nothing_here', { user_id: 'alice' })).errorCode).toBe('NOT_FOUND');
      await admin().setAllowance('stars', { amount: '3', period: 'weekly' });
      expect((await admin().removeAllowance('stars')).status).toBe(204);
      expect((await admin().removeAllowance('stars')).errorCode).toBe('NOT_FOUND');
      expect((await game().claimAllowance('stars', { user_id: 'alice' })).errorCode).toBe('NOT_FOUND');
    });
  });

  describe('app settings', () => {
    let leaky: RegisteredApp;
    const leak = () => stack.as(leaky.api_key);

    beforeAll(async () => {
      leaky = await stack.registerApp('Leaky');
    });

    it('a new app may do everything: GET /admin/apps shows every scope, every currency, no limit', async () => {
      const listed = await admin().apps();
      expect(listed.reply.data).toContainEqual(expect.objectContaining({ app_id: leaky.app_id, scopes: null, currencies: null, mint_limit_per_day: {} }));
      // (in gems: a limit set later counts what the app minted earlier that day, and coins get one below)
      expect((await leak().postTransaction({ user_id: 'bob', type: 'credit', amount: 1_000_000, currency: 'gems' })).status).toBe(201);
    });

    it('PATCH narrows an app: 200 with its settings, shown by GET /admin/apps', async () => {
      const patched = await admin().updateApp(leaky.app_id, { scopes: ['finance:write'], currencies: ['coins'], mint_limit_per_day: { coins: 100 } });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({
        app_id: leaky.app_id,
        realm: 'default',
        name: 'Leaky',
        created_at: TIME,
        scopes: ['finance:write'],
        currencies: ['coins'],
        mint_limit_per_day: { coins: '100' },
      });
      const listed = await admin().apps();
      expect(listed.reply.data).toContainEqual(expect.objectContaining({ app_id: leaky.app_id, scopes: ['finance:write'], mint_limit_per_day: { coins: '100' } }));
    });

    it('outside its scopes or currencies: 403 FORBIDDEN, at the gateway (reads, achievements) and at the ledger (commands)', async () => {
      expect((await leak().balance('bob')).error).toMatchObject({ code: 'FORBIDDEN', details: { scope: 'finance:read' } });
      expect((await leak().transactions()).errorCode).toBe('FORBIDDEN');
      expect((await leak().statement('bob')).errorCode).toBe('FORBIDDEN');
      expect((await leak().balanceLeaderboard()).error).toMatchObject({ code: 'FORBIDDEN', details: { scope: 'finance:read' } });
      expect((await leak().achievementLeaderboard()).error).toMatchObject({ code: 'FORBIDDEN', details: { scope: 'achievements' } });
      expect((await leak().achievements()).error).toMatchObject({ code: 'FORBIDDEN', details: { scope: 'achievements' } });
      expect((await leak().transfer({ from_user_id: 'bob', to_user_id: 'carol', amount: 1 })).error).toMatchObject({ code: 'FORBIDDEN', details: { scope: 'transfers' } });
      expect((await leak().postTransaction({ user_id: 'bob', type: 'credit', amount: 1, currency: 'gems' })).error).toMatchObject({ code: 'FORBIDDEN', details: { currency: 'gems' } });
      const link = { kind: 'bank' as const, label: 'savings', reference: 'LEAKY-ACCOUNT-0001' };
      expect((await leak().linkExternalAccount('bob', link)).error).toMatchObject({ code: 'FORBIDDEN', details: { scope: 'withdrawals' } });
      expect((await leak().externalAccounts('bob')).error).toMatchObject({ code: 'FORBIDDEN', details: { scope: 'withdrawals' } });
    });

    it('credits beyond the daily mint limit, net of its debits: 422 LIMIT_EXCEEDED with the limit, used and requested', async () => {
      expect((await leak().postTransaction({ user_id: 'bob', type: 'credit', amount: 60 })).status).toBe(201);
      const beyond = await leak().postTransaction({ user_id: 'bob', type: 'credit', amount: 41 });
      expect(beyond.status).toBe(422);
      expect(beyond.error).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 'mint_limit_per_day', maximum: '100', used: '60', requested: '41', currency: 'coins' } });
      expect((await leak().postTransaction({ user_id: 'bob', type: 'debit', amount: 30 })).status).toBe(201);
      expect((await leak().postTransaction({ user_id: 'bob', type: 'credit', amount: 70 })).status).toBe(201);
      expect((await leak().postTransaction({ user_id: 'bob', type: 'credit', amount: 1 })).errorCode).toBe('LIMIT_EXCEEDED');
    });

    it('another gateway learns the narrowed scopes from the store, and null gives a new app’s settings back', async () => {
      let second: NestFastifyApplication | undefined;
      try {
        second = await startGateway(stack.env);
        await untilServing(second);
        const elsewhere = api(second, leaky.api_key);
        expect((await elsewhere.balance('bob')).errorCode).toBe('FORBIDDEN');
        await admin().updateApp(leaky.app_id, { scopes: null, currencies: null, mint_limit_per_day: null });
        await until(
          () => elsewhere.balance('bob'),
          (answer) => answer.status === 200,
        );
        expect((await leak().postTransaction({ user_id: 'bob', type: 'credit', amount: 500, currency: 'gems' })).status).toBe(201);
      } finally {
        await second?.close();
      }
    });

    it('an unknown app is 404', async () => {
      expect((await admin().updateApp('app_424242', { scopes: [] })).errorCode).toBe('NOT_FOUND');
    });
  });
});
