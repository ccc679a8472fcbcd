/**
 * The operators' API end to end (API.md "Operators: console, roles, audit"): admin tokens and
 * what each role may do on every kind of /admin route, the audit trail of every command decided
 * (a refusal without an Idempotency-Key included), and the daily figures. A real gateway, ledger
 * and projector on a database and NATS prefix of this test's own.
 */
import { MAX_ADMIN_TOKENS, MAX_DAILY_STATS_DAYS, type AdminRole } from '@coffer/contracts';
import type { AuditEntryView } from '@coffer/contracts/http';
import type { ApiClient } from './api-client';
import { newIdempotencyKey, Stack, TIME, until, type RegisteredApp } from './gateway-harness';

jest.setTimeout(120000);

const ROLES: readonly AdminRole[] = ['auditor', 'operator', 'admin'];
const today = () => new Date().toISOString().slice(0, 10);
const daysFrom = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

describe('operators: roles, audit trail, daily figures', () => {
  let stack: Stack;
  let app: RegisteredApp;
  const tokens = new Map<AdminRole, { token_id: string; client: ApiClient }>();

  const as = (role: AdminRole) => tokens.get(role)!.client;

  /** The audit entries of a query once the projector has them (read models follow the store). */
  const auditOnce = (client: ApiClient, query: Record<string, string>, done: (entries: AuditEntryView[]) => boolean) =>
    until(
      async () => (await client.audit(query)).reply.data,
      done,
      20000,
    );

  beforeAll(async () => {
    stack = await Stack.start('gateway_operators');
    app = await stack.registerApp('Blackjack');
    for (const role of ROLES) {
      const created = await stack.admin.createAdminToken({ name: `the ${role}`, role });
      tokens.set(role, { token_id: created.reply.token_id, client: stack.admin.as(created.reply.token) });
    }
  });

  afterAll(() => stack?.close());

  describe('admin tokens', () => {
    it('shows a new token once, lists it without any secret, and a deleted one stops working at once', async () => {
      const created = await stack.admin.createAdminToken({ name: '  night shift ', role: 'operator' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        token_id: expect.stringMatching(/^adm_[0-9a-f]{24}$/),
        name: 'night shift',
        role: 'operator',
        token: expect.stringMatching(/^cadm_[A-Za-z0-9_-]{43}$/),
        created_at: TIME,
        created_by: 'root',
      });
      const { token_id, token } = created.reply;
      const listed = await stack.admin.adminTokens();
      expect(listed.reply.data).toContainEqual({ token_id, name: 'night shift', role: 'operator', created_at: TIME, created_by: 'root' });
      expect(listed.text).not.toContain(token);

      const holder = stack.admin.as(token);
      expect((await holder.apps()).status).toBe(200);
      expect((await stack.admin.deleteAdminToken(token_id)).status).toBe(204);
      const refused = await holder.apps();
      expect([refused.status, refused.errorCode]).toEqual([401, 'UNAUTHENTICATED']);
      expect((await stack.admin.adminTokens()).reply.data.map((each) => each.token_id)).not.toContain(token_id);
      // Deleted twice, or never made: nothing to delete.
      expect((await stack.admin.deleteAdminToken(token_id)).errorCode).toBe('NOT_FOUND');
      expect((await stack.admin.deleteAdminToken('adm_nothing')).errorCode).toBe('NOT_FOUND');
    });

    it('records which admin made a token', async () => {
      const made = await as('admin').createAdminToken({ name: 'made by a token', role: 'auditor' });
      expect(made.reply.created_by).toBe(tokens.get('admin')!.token_id);
      await stack.admin.deleteAdminToken(made.reply.token_id);
    });

    it.each([
      [{}, ['name', 'role']],
      [{ name: 'x', role: 'root' }, ['role']],
      [{ name: '   ', role: 'admin' }, ['name']],
      [{ name: 'x'.repeat(101), role: 'admin' }, ['name']],
      [{ name: 'x', role: 'admin', token: 'mine' }, ['token']],
    ])('refuses %j', async (body, fields) => {
      const answer = await stack.admin.send('POST', '/admin/tokens', { body });
      expect([answer.status, answer.errorCode]).toEqual([400, 'VALIDATION_FAILED']);
      expect(Object.keys(answer.fieldErrors).sort()).toEqual(fields);
    });

    it(`holds at most ${MAX_ADMIN_TOKENS} live tokens: one more is 422 until one is deleted`, async () => {
      const live = (await stack.admin.adminTokens()).reply.data.length;
      const made: string[] = [];
      for (let i = live; i < MAX_ADMIN_TOKENS; i++) made.push((await stack.admin.createAdminToken({ name: `bulk ${i}`, role: 'auditor' })).reply.token_id);
      expect((await stack.admin.adminTokens()).reply.data).toHaveLength(MAX_ADMIN_TOKENS);
      const over = await stack.admin.createAdminToken({ name: 'one too many', role: 'auditor' });
      expect([over.status, over.errorCode]).toEqual([422, 'LIMIT_EXCEEDED']);
      await stack.admin.deleteAdminToken(made.pop()!);
      expect((await stack.admin.createAdminToken({ name: 'room again', role: 'auditor' })).status).toBe(201);
      for (const id of made) await stack.admin.deleteAdminToken(id);
      const again = (await stack.admin.adminTokens()).reply.data.find((each) => each.name === 'room again')!;
      await stack.admin.deleteAdminToken(again.token_id);
    });
  });

  describe('what each role may do', () => {
    /** One request of each kind of /admin route; its status tells whether the role got through (403: stopped at the door). */
    const ROUTES: Record<string, (client: ApiClient) => Promise<{ status: number }>> = {
      'read apps': (client) => client.apps(),
      'read withdrawals': (client) => client.withdrawals(),
      'read tokens': (client) => client.adminTokens(),
      'read the audit trail': (client) => client.audit(),
      'read daily figures': (client) => client.dailyStats({ from: today(), to: today() }),
      'decide a withdrawal': (client) => client.acceptWithdrawal(987654),
      'decline a deposit': (client) => client.declineDeposit(987654, { reason: 'no' }),
      mint: (client) => client.grant({ user_id: 'role-user', amount: 1 }),
      'create an app': (client) => client.createApp({ name: 'by role' }),
      'issue a key': (client) => client.issueKey(app.app_id),
      'revoke a key': (client) => client.revokeKey(app.app_id, 'key_none'),
      'change app settings': (client) => client.updateApp(app.app_id, { scopes: null }),
      'set an allowance': (client) => client.setAllowance('roles', { amount: 1, period: 'daily' }),
      reverse: (client) => client.adminReverseTransaction(987654),
      'create a token': (client) => client.createAdminToken({ name: 'by role', role: 'auditor' }),
      'delete a token': (client) => client.deleteAdminToken('adm_none'),
    };
    const ALLOWED = 'through'; // the route ran (2xx, or the ledger's 404 for an id that names nothing)
    const FORBIDDEN = 403;

    it.each<[string, AdminRole, typeof ALLOWED | typeof FORBIDDEN]>([
      ['read apps', 'auditor', ALLOWED],
      ['read apps', 'operator', ALLOWED],
      ['read apps', 'admin', ALLOWED],
      ['read withdrawals', 'auditor', ALLOWED],
      ['read tokens', 'auditor', ALLOWED],
      ['read the audit trail', 'auditor', ALLOWED],
      ['read daily figures', 'auditor', ALLOWED],
      ['decide a withdrawal', 'auditor', FORBIDDEN],
      ['decide a withdrawal', 'operator', ALLOWED],
      ['decide a withdrawal', 'admin', ALLOWED],
      ['decline a deposit', 'auditor', FORBIDDEN],
      ['decline a deposit', 'operator', ALLOWED],
      ['mint', 'auditor', FORBIDDEN],
      ['mint', 'operator', FORBIDDEN],
      ['mint', 'admin', ALLOWED],
      ['create an app', 'auditor', FORBIDDEN],
      ['create an app', 'operator', FORBIDDEN],
      ['create an app', 'admin', ALLOWED],
      ['issue a key', 'operator', FORBIDDEN],
      ['issue a key', 'admin', ALLOWED],
      ['revoke a key', 'operator', FORBIDDEN],
      ['revoke a key', 'admin', ALLOWED],
      ['change app settings', 'operator', FORBIDDEN],
      ['change app settings', 'admin', ALLOWED],
      ['set an allowance', 'operator', FORBIDDEN],
      ['set an allowance', 'admin', ALLOWED],
      ['reverse', 'auditor', FORBIDDEN],
      ['reverse', 'operator', FORBIDDEN],
      ['reverse', 'admin', ALLOWED],
      ['create a token', 'auditor', FORBIDDEN],
      ['create a token', 'operator', FORBIDDEN],
      ['create a token', 'admin', ALLOWED],
      ['delete a token', 'auditor', FORBIDDEN],
      ['delete a token', 'operator', FORBIDDEN],
      ['delete a token', 'admin', ALLOWED],
    ])('%s as %s: %s', async (route, role, expected) => {
      const answer = await ROUTES[route](as(role));
      if (expected === FORBIDDEN) expect(answer.status).toBe(403);
      else expect([200, 201, 204, 404]).toContain(answer.status);
    });

    it('says which role a refused change needs', async () => {
      const refused = await as('operator').grant({ user_id: 'role-user', amount: 1 });
      expect(refused.error).toMatchObject({ code: 'FORBIDDEN', details: { role: 'operator', needed: 'admin' } });
    });

    it('tells a token its own id and role', async () => {
      expect((await stack.admin.send('GET', '/admin/whoami')).body).toEqual({ token_id: 'root', role: 'admin' });
      expect((await as('auditor').send('GET', '/admin/whoami')).body).toEqual({ token_id: tokens.get('auditor')!.token_id, role: 'auditor' });
    });

    it("keeps the deployment's own token (COFFER_ADMIN_TOKEN) an admin", async () => {
      expect((await stack.admin.grant({ user_id: 'role-user', amount: 1 })).status).toBe(201);
    });
  });

  describe('audit trail', () => {
    it('finds a refusal sent without an Idempotency-Key by the correlation id the gateway answered', async () => {
      const game = stack.as(app.api_key);
      const refused = await game.postTransaction({ user_id: 'audit-poor', type: 'debit', amount: 5 });
      expect(refused.errorCode).toBe('INSUFFICIENT_FUNDS');
      const correlation = String(refused.headers['x-correlation-id']);
      const [entry] = await auditOnce(as('auditor'), { correlation_id: correlation }, (entries) => entries.length > 0);
      expect(entry).toEqual({
        correlation_id: correlation,
        command_id: expect.any(String),
        command_type: 'PostTransaction',
        decided_at: TIME,
        app_id: app.app_id,
        key_id: app.key_id,
        admin_token_id: null,
        user_ids: ['audit-poor'],
        outcome: 'refused',
        events: ['CommandRefused'],
        refusal: { code: 'INSUFFICIENT_FUNDS', message: expect.any(String) },
        position: expect.stringMatching(/^\d+$/),
      });
    });

    it('finds a refusal by the X-Correlation-Id the caller sent, and by user', async () => {
      const correlation = `audit-${newIdempotencyKey()}`;
      const refused = await stack.as(app.api_key).send('POST', '/finance/transfer', {
        body: { from_user_id: 'audit-sender', to_user_id: 'audit-receiver', amount: 3 },
        headers: { 'x-correlation-id': correlation },
      });
      expect(refused.errorCode).toBe('INSUFFICIENT_FUNDS');
      const [entry] = await auditOnce(stack.admin, { correlation_id: correlation }, (entries) => entries.length > 0);
      expect(entry).toMatchObject({ command_type: 'Transfer', outcome: 'refused', user_ids: ['audit-sender', 'audit-receiver'] });
      const byUser = await stack.admin.audit({ user_id: 'audit-receiver' });
      expect(byUser.reply.data.map((each) => each.correlation_id)).toContain(correlation);
    });

    it('shows an accepted command with its events, and the admin token that sent it', async () => {
      const granted = await as('admin').grant({ user_id: 'audit-rich', amount: 7 });
      expect(granted.status).toBe(201);
      const correlation = String(granted.headers['x-correlation-id']);
      const [entry] = await auditOnce(as('operator'), { correlation_id: correlation }, (entries) => entries.length > 0);
      expect(entry).toMatchObject({
        command_type: 'Grant',
        app_id: null,
        key_id: null,
        admin_token_id: tokens.get('admin')!.token_id,
        user_ids: ['audit-rich'],
        outcome: 'accepted',
        events: ['TransactionPosted'],
        refusal: null,
      });
      // The deployment's own token is `root`.
      const root = await stack.admin.grant({ user_id: 'audit-rich', amount: 1 });
      const [byRoot] = await auditOnce(stack.admin, { correlation_id: String(root.headers['x-correlation-id']) }, (entries) => entries.length > 0);
      expect(byRoot.admin_token_id).toBe('root');
    });

    it('filters by app and type, and pages newest first with cursors', async () => {
      const game = stack.as(app.api_key);
      for (let i = 0; i < 3; i++) await game.postTransaction({ user_id: 'audit-pager', type: 'credit', amount: 1 });
      const query = { app_id: app.app_id, type: 'PostTransaction', user_id: 'audit-pager' };
      await auditOnce(stack.admin, query, (entries) => entries.length === 3);
      const first = await stack.admin.audit({ ...query, limit: '2' });
      expect(first.reply.data).toHaveLength(2);
      expect(first.reply.next_cursor).toBe(first.reply.data[1].position);
      const second = await stack.admin.audit({ ...query, limit: '2', cursor: first.reply.next_cursor! });
      expect(second.reply.data).toHaveLength(1);
      expect(second.reply.next_cursor).toBeNull();
      const positions = [...first.reply.data, ...second.reply.data].map((each) => BigInt(each.position));
      expect(positions).toEqual([...positions].sort((a, b) => (a > b ? -1 : 1)));
      const hour = Date.now() + 3_600_000;
      expect((await stack.admin.audit({ ...query, from: new Date(hour).toISOString() })).reply.data).toEqual([]);
      expect((await stack.admin.audit({ ...query, to: '2000-01-01' })).reply.data).toEqual([]);
      expect((await stack.admin.audit({ ...query, limit: '100' })).reply.data).toHaveLength(3);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=x', 'limit'],
      ['cursor=abc', 'cursor'],
      ['from=yesterday', 'from'],
      ['to=2026-13-01', 'to'],
      ['from=2026-11-02&to=2026-11-01', 'to'],
      ['user_id=a%20b', 'user_id'],
      ['app_id=a%2Fb', 'app_id'],
      ['type=Grant1', 'type'],
      ['correlation_id=' + 'c'.repeat(129), 'correlation_id'],
      ['colour=red', 'colour'],
    ])('refuses ?%s', async (query, field) => {
      const answer = await stack.admin.send('GET', `/admin/audit?${query}`);
      expect([answer.status, answer.errorCode]).toEqual([400, 'VALIDATION_FAILED']);
      expect(Object.keys(answer.fieldErrors)).toEqual([field]);
    });
  });

  describe('daily figures', () => {
    it("answers today's money, active users and unlocks per app and currency", async () => {
      const game = stack.as(app.api_key);
      await game.postTransaction({ user_id: 'daily-a', type: 'credit', amount: 30, currency: 'dailies' });
      await game.postTransaction({ user_id: 'daily-b', type: 'credit', amount: 12, currency: 'dailies' });
      await game.postTransaction({ user_id: 'daily-a', type: 'debit', amount: 10, currency: 'dailies' });
      const query = { from: today(), to: today(), app_id: app.app_id, currency: 'dailies' };
      const rows = await until(
        async () => (await as('auditor').dailyStats(query)).reply.data,
        (data) => data.length === 1 && data[0].absorbed === '10',
        20000,
      );
      expect(rows).toEqual([
        { day: today(), app_id: app.app_id, currency: 'dailies', minted: '42', absorbed: '10', transferred: '0', active_users: 2, unlocks: 0 },
      ]);
      expect((await stack.admin.dailyStats({ ...query, from: daysFrom(today(), -30), to: daysFrom(today(), -1) })).reply.data).toEqual([]);
    });

    it(`takes ${MAX_DAILY_STATS_DAYS} days at most: one more is 422`, async () => {
      const from = '2025-01-01';
      expect((await stack.admin.dailyStats({ from, to: daysFrom(from, MAX_DAILY_STATS_DAYS - 1) })).status).toBe(200);
      const over = await stack.admin.dailyStats({ from, to: daysFrom(from, MAX_DAILY_STATS_DAYS) });
      expect([over.status, over.errorCode]).toEqual([422, 'LIMIT_EXCEEDED']);
    });

    it.each([
      ['', ['from', 'to']],
      ['from=2026-11-01', ['to']],
      ['from=2026-11-01&to=tomorrow', ['to']],
      ['from=2026-02-30&to=2026-03-01', ['from']],
      ['from=2026-11-02&to=2026-11-01', ['to']],
      ['from=2026-11-01&to=2026-11-01&currency=%24%24', ['currency']],
      ['from=2026-11-01&to=2026-11-01&app_id=a%20b', ['app_id']],
    ])('refuses ?%s', async (query, fields) => {
      const answer = await stack.admin.send('GET', `/admin/stats/daily?${query}`);
      expect([answer.status, answer.errorCode]).toEqual([400, 'VALIDATION_FAILED']);
      expect(Object.keys(answer.fieldErrors).sort()).toEqual(fields);
    });
  });
});
