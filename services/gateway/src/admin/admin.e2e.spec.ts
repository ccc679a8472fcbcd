/**
 * The Admin API end to end: apps and their keys across gateways, and who may call what. A real
 * gateway and a real ledger in-process, on a database and NATS prefix of this test's own.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  ADMIN_TOKEN,
  api,
  newIdempotencyKey,
  startGateway,
  Stack,
  TIME,
  until,
  untilServing,
  type RegisteredApp,
} from '../../test/gateway-harness';

jest.setTimeout(60000);

describe('gateway Admin API', () => {
  let stack: Stack;
  let app: RegisteredApp;

  const admin = () => stack.admin;

  beforeAll(async () => {
    stack = await Stack.start('gateway_admin');
    app = await stack.registerApp('Blackjack');
  });

  afterAll(() => stack?.close());

  describe('apps', () => {
    it('registers an app with a first key that works at once', async () => {
      const created = await admin().createApp({ name: 'Poker' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        app_id: expect.stringMatching(/^app_[0-9]+$/),
        realm: 'default',
        name: 'Poker',
        api_key: expect.stringMatching(/^ck_[A-Za-z0-9_-]{43}$/),
        key_id: expect.stringMatching(/^key_[0-9a-f]{24}$/),
        created_at: TIME,
      });
      expect(created.headers['x-coffer-position']).toMatch(/^\d+$/);
      expect((await stack.as(String(created.reply.api_key)).balance('x')).status).toBe(200);
    });

    it('cannot show an API key again on a replayed registration', async () => {
      const key = newIdempotencyKey();
      const first = await admin().createApp({ name: 'Roulette' }, { idempotencyKey: key });
      const retry = await admin().createApp({ name: 'Roulette' }, { idempotencyKey: key });
      expect(first.reply.api_key).toMatch(/^ck_/);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual({ ...first.reply, api_key: null });
      expect((await stack.as(String(first.reply.api_key)).balance('x')).status).toBe(200);
    });

    it.each([[{}], [{ name: '' }], [{ name: '   ' }], [{ name: 'x'.repeat(101) }], [{ name: 'ok', extra: 1 }]])(
      'refuses %j',
      async (body) => {
        const answer = await admin().send('POST', '/admin/apps', { body });
        expect({ status: answer.status, code: answer.error.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      },
    );

    it('lists apps with their keys, never their hashes', async () => {
      const listed = await admin().apps();
      expect(listed.status).toBe(200);
      expect(listed.reply.data).toContainEqual({
        app_id: app.app_id,
        realm: 'default',
        name: 'Blackjack',
        created_at: TIME,
        scopes: null,
        currencies: null,
        mint_limit_per_day: {},
        keys: [{ key_id: app.key_id, created_at: TIME, revoked_at: null }],
      });
    });
  });

  describe('keys', () => {
    it('rotates keys: a new key works at once on every gateway, a revoked one is refused at once', async () => {
      const other = await startGateway(stack.env);
      try {
        await untilServing(other);
        const issued = await admin().issueKey(app.app_id);
        expect(issued.status).toBe(201);
        expect(issued.body).toEqual({ key_id: expect.stringMatching(/^key_[0-9a-f]{24}$/), api_key: expect.stringMatching(/^ck_/) });
        const rotated = String(issued.reply.api_key);
        const balance = (on: NestFastifyApplication) => api(on, rotated).balance('alice');
        expect((await balance(stack.gateway)).status).toBe(200);
        // The other gateway learns it from the key events (or by asking the ledger on a miss).
        expect((await until(() => balance(other), (answer) => answer.status === 200)).status).toBe(200);

        const revoked = await admin().revokeKey(app.app_id, issued.reply.key_id);
        expect(revoked.status).toBe(204);
        expect(revoked.body).toBeUndefined();
        expect((await balance(stack.gateway)).status).toBe(401);
        expect((await until(() => balance(other), (answer) => answer.status === 401, 2000)).status).toBe(401);
        expect((await stack.as(app.api_key).balance('alice')).status).toBe(200);
      } finally {
        await other.close();
      }
    });

    it('answers 404 for an unknown app or key, and for a key revoked already', async () => {
      expect((await admin().issueKey('app_999')).status).toBe(404);
      expect((await admin().revokeKey(app.app_id, 'key_000000000000000000000000')).status).toBe(404);
      const { reply: issued } = await admin().issueKey(app.app_id);
      expect((await admin().revokeKey(app.app_id, issued.key_id)).status).toBe(204);
      expect((await admin().revokeKey(app.app_id, issued.key_id)).status).toBe(404);
    });

    it('refuses malformed app and key ids with 400', async () => {
      expect((await admin().issueKey('a'.repeat(65))).status).toBe(400);
      expect((await admin().revokeKey(app.app_id, 'bad%20id')).status).toBe(400);
    });
  });

  describe('authentication', () => {
    it('refuses finance routes without a live app key, and admin routes without the admin token', async () => {
      for (const token of [undefined, 'not-a-key', 'ck_' + 'A'.repeat(43), ADMIN_TOKEN]) {
        const answer = await api(stack.gateway, token).balance('alice');
        expect({ token, status: answer.status, code: answer.error.code }).toEqual({
          token,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
      for (const token of [undefined, app.api_key, ADMIN_TOKEN + 'x', ADMIN_TOKEN.slice(0, -1)]) {
        const answer = await api(stack.gateway, token).grant({ user_id: 'u', amount: 1 });
        expect({ token, status: answer.status, code: answer.error.code }).toEqual({
          token,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
    });
  });
});
