/**
 * Withdrawals and deposits end to end (API.md, "Money operations beyond seed 000"): external
 * accounts linked, listed and unlinked; a withdrawal's life (held at once, listed for the
 * operators, accepted or declined once); a deposit that is not spendable until accepted; every
 * operation replayed with its Idempotency-Key changes nothing; and the reference appears nowhere
 * in the database, not even as its plain hash.
 */
import { createHash } from 'node:crypto';
import { MAX_EXTERNAL_ACCOUNTS_PER_USER, MAX_WAITING_WITHDRAWALS_PER_USER } from '@coffer/contracts';
import { PostgresEventStore } from '@coffer/event-store';
import { Generations } from '../../projector/src/read-models/generations';
import { verify } from '../../projector/src/read-models/rebuild-verify-status';
import type { ApiClient } from './api-client';
import { newIdempotencyKey, Stack, TIME } from './gateway-harness';

jest.setTimeout(60000);

const REFERENCE = 'DE89370400440532013000';
const PAYMENT = 'BANKTRANSFER-2026-7731';
/** Every payment reported (a payment is credited once: each test reports its own), for the secrets scan. */
const payments: string[] = [PAYMENT];
const newPayment = (): string => {
  payments.push(`BANKTRANSFER-${payments.length}-7731`);
  return payments[payments.length - 1];
};

describe('withdrawals and deposits over HTTP', () => {
  let stack: Stack;
  let app: ApiClient;
  let admin: ApiClient;
  let user = 0;
  /** A user of the test's own, so each test starts from an empty wallet. */
  const newUser = () => `payee-${++user}`;

  beforeAll(async () => {
    stack = await Stack.start('gateway_withdrawals');
    app = stack.as((await stack.registerApp('Cashier')).api_key);
    admin = stack.admin;
  });

  afterAll(async () => {
    await stack?.close();
  });

  const linked = async (userId: string, reference = REFERENCE) =>
    (await app.linkExternalAccount(userId, { kind: 'bank', label: 'savings', reference })).reply.external_account_id;
  const available = async (userId: string) => (await app.balance(userId, { consistency: 'strong' })).reply.balances.find((line) => line.currency === 'coins');

  describe('external accounts', () => {
    it('links one (201, the reference shown as its last 4 only), lists it, and unlinks it (204)', async () => {
      const userId = newUser();
      const created = await app.linkExternalAccount(userId, { kind: 'bank', label: ' savings ', reference: REFERENCE });
      expect(created.status).toBe(201);
      expect(created.reply).toEqual({ external_account_id: expect.any(Number), kind: 'bank', label: 'savings', reference_last4: '3000', created_at: TIME });
      expect((await app.externalAccounts(userId)).reply).toEqual({ user_id: userId, data: [created.reply] });
      expect((await app.unlinkExternalAccount(userId, created.reply.external_account_id)).status).toBe(204);
      expect((await app.externalAccounts(userId)).reply.data).toEqual([]);
      expect((await app.unlinkExternalAccount(userId, created.reply.external_account_id)).errorCode).toBe('NOT_FOUND');
    });

    it('refuses the same reference twice for one user (409 naming the first), and takes it for another user', async () => {
      const [first, second] = [newUser(), newUser()];
      const id = await linked(first);
      const again = await app.linkExternalAccount(first, { kind: 'paypal', label: 'other', reference: REFERENCE });
      expect([again.status, again.error.code, again.error.details]).toEqual([409, 'CONFLICT', { external_account_id: id }]);
      expect((await app.linkExternalAccount(second, { kind: 'bank', label: 'x', reference: REFERENCE })).status).toBe(201);
    });

    it(`links ${MAX_EXTERNAL_ACCOUNTS_PER_USER} per user; the next is 422 LIMIT_EXCEEDED`, async () => {
      const userId = newUser();
      for (let n = 0; n < MAX_EXTERNAL_ACCOUNTS_PER_USER; n++) await linked(userId, `ACCOUNT-${n}`);
      const over = await app.linkExternalAccount(userId, { kind: 'bank', label: 'one more', reference: 'ACCOUNT-X' });
      expect([over.status, over.errorCode, over.error.details]).toEqual([422, 'LIMIT_EXCEEDED', { limit: 'external_accounts_per_user', maximum: MAX_EXTERNAL_ACCOUNTS_PER_USER }]);
      expect((await app.externalAccounts(userId)).reply.data).toHaveLength(MAX_EXTERNAL_ACCOUNTS_PER_USER);
    });

    it('replays a link with its Idempotency-Key (same account, nothing new) and refuses the key with another reference', async () => {
      const userId = newUser();
      const idempotencyKey = newIdempotencyKey();
      const body = { kind: 'bank' as const, label: 'savings', reference: REFERENCE };
      const first = await app.linkExternalAccount(userId, body, { idempotencyKey });
      const again = await app.linkExternalAccount(userId, body, { idempotencyKey });
      expect(again.reply).toEqual(first.reply);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect((await app.externalAccounts(userId)).reply.data).toHaveLength(1);
      expect((await app.linkExternalAccount(userId, { ...body, reference: 'ANOTHER-ONE' }, { idempotencyKey })).errorCode).toBe('IDEMPOTENCY_KEY_REUSED');
    });
  });

  describe("a withdrawal's life", () => {
    it('holds the amount at once, lists it for the operators, posts it to external when accepted, once', async () => {
      const userId = newUser();
      await admin.grant({ user_id: userId, amount: 100 });
      const account = await linked(userId);
      const requested = await app.requestWithdrawal({ user_id: userId, amount: 40, external_account_id: account });
      expect(requested.status).toBe(201);
      expect(requested.reply).toEqual({
        withdrawal_id: expect.any(Number),
        transaction_id: expect.any(Number),
        user_id: userId,
        external_account_id: account,
        amount: '40',
        currency: 'coins',
        status: 'waiting_for_verification',
        requested_at: TIME,
        decided_at: null,
        reason: null,
      });
      const { withdrawal_id } = requested.reply;
      expect(await available(userId)).toMatchObject({ available: '60', posted: '100', pending_debit: '40' });
      // Waiting, it is pending: not reversed, by its app or the admin (issue 13's reversals).
      for (const reversal of [await app.reverseTransaction(requested.reply.transaction_id), await admin.adminReverseTransaction(requested.reply.transaction_id)]) {
        expect([reversal.status, reversal.errorCode, reversal.error.details]).toEqual([409, 'CONFLICT', { status: 'pending' }]);
      }
      const over = await app.requestWithdrawal({ user_id: userId, amount: 61, external_account_id: account });
      expect([over.status, over.errorCode, over.error.details]).toEqual([422, 'INSUFFICIENT_FUNDS', { available: '60', requested: '61', currency: 'coins' }]);

      const min_position = String(requested.headers['x-coffer-position']);
      const waiting = await admin.withdrawals({ status: 'waiting_for_verification', min_position });
      expect(waiting.reply.data).toContainEqual(requested.reply);

      const accepted = await admin.acceptWithdrawal(withdrawal_id);
      expect(accepted.status).toBe(200);
      expect(accepted.reply).toEqual({ ...requested.reply, status: 'accepted', decided_at: TIME });
      expect(await available(userId)).toMatchObject({ available: '60', posted: '60', pending_debit: '0' });
      expect((await admin.acceptWithdrawal(withdrawal_id)).errorCode).toBe('CONFLICT');
      const declineLate = await admin.declineWithdrawal(withdrawal_id, { reason: 'too late' });
      expect([declineLate.status, declineLate.errorCode]).toEqual([409, 'CONFLICT']);
      expect((await admin.acceptWithdrawal(999_999)).errorCode).toBe('NOT_FOUND');
      // Accepted, its money left the system: a reversal would mint it back, so there is none.
      const reversed = await admin.adminReverseTransaction(requested.reply.transaction_id, { amount: 1 });
      expect([reversed.status, reversed.errorCode, reversed.error.details]).toEqual([409, 'CONFLICT', { type: 'withdrawal' }]);

      const listed = await admin.withdrawals({ status: 'accepted', min_position: String(accepted.headers['x-coffer-position']) });
      expect(listed.reply.data).toContainEqual(accepted.reply);
      const history = await app.transactions({ user_id: userId, type: 'withdrawal', min_position: String(accepted.headers['x-coffer-position']) });
      expect(history.reply.data).toEqual([expect.objectContaining({ transaction_id: requested.reply.transaction_id, type: 'withdrawal', status: 'posted', amount: '40' })]);
      expect((await app.acceptWithdrawal(withdrawal_id)).status).toBe(401); // an app's key is not the admin token

      // The statement reads it as any transaction: the grant in, the withdrawal out when it posted.
      const statement = await app.statement(userId, { min_position: String(accepted.headers['x-coffer-position']) });
      expect(statement.reply).toMatchObject({ opening_balance: '0', closing_balance: '60' });
      expect(statement.reply.movements.map((movement) => [movement.type, movement.amount, movement.balance])).toEqual([
        ['grant', '100', '100'],
        ['withdrawal', '-40', '60'],
      ]);
    });

    it('gives the funds back when declined, with its reason', async () => {
      const userId = newUser();
      await admin.grant({ user_id: userId, amount: 50 });
      const account = await linked(userId);
      const { withdrawal_id } = (await app.requestWithdrawal({ user_id: userId, amount: 50, external_account_id: account })).reply;
      expect(await available(userId)).toMatchObject({ available: '0' });
      const unlinkWaiting = await app.unlinkExternalAccount(userId, account);
      expect([unlinkWaiting.status, unlinkWaiting.errorCode]).toEqual([409, 'CONFLICT']);
      const declined = await admin.declineWithdrawal(withdrawal_id, { reason: 'account closed' });
      expect(declined.reply).toMatchObject({ status: 'declined', reason: 'account closed', decided_at: TIME });
      expect(await available(userId)).toMatchObject({ available: '50', posted: '50', pending_debit: '0' });
      expect((await app.unlinkExternalAccount(userId, account)).status).toBe(204);
    });

    it('holds once when replayed with its Idempotency-Key, and decides once when the accept is replayed', async () => {
      const userId = newUser();
      await admin.grant({ user_id: userId, amount: 100 });
      const account = await linked(userId);
      const idempotencyKey = newIdempotencyKey();
      const body = { user_id: userId, amount: 30, external_account_id: account };
      const first = await app.requestWithdrawal(body, { idempotencyKey });
      const again = await app.requestWithdrawal(body, { idempotencyKey });
      expect(again.reply).toEqual(first.reply);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await available(userId)).toMatchObject({ available: '70', pending_debit: '30' });
      const acceptKey = newIdempotencyKey();
      const accepted = await admin.acceptWithdrawal(first.reply.withdrawal_id, { idempotencyKey: acceptKey });
      const acceptedAgain = await admin.acceptWithdrawal(first.reply.withdrawal_id, { idempotencyKey: acceptKey });
      expect([acceptedAgain.status, acceptedAgain.reply]).toEqual([200, accepted.reply]);
      expect(await available(userId)).toMatchObject({ available: '70', posted: '70', pending_debit: '0' });
    });

    it(`lets ${MAX_WAITING_WITHDRAWALS_PER_USER} wait per user; the next is 422 LIMIT_EXCEEDED`, async () => {
      const userId = newUser();
      await admin.grant({ user_id: userId, amount: 100 });
      const account = await linked(userId);
      for (let n = 0; n < MAX_WAITING_WITHDRAWALS_PER_USER; n++) expect((await app.requestWithdrawal({ user_id: userId, amount: 1, external_account_id: account })).status).toBe(201);
      const over = await app.requestWithdrawal({ user_id: userId, amount: 1, external_account_id: account });
      expect([over.status, over.errorCode]).toEqual([422, 'LIMIT_EXCEEDED']);
    });

    it("refuses another user's account or an unknown one (404)", async () => {
      const [owner, other] = [newUser(), newUser()];
      await admin.grant({ user_id: other, amount: 10 });
      const account = await linked(owner, 'OWNERS-ACCOUNT');
      expect((await app.requestWithdrawal({ user_id: other, amount: 1, external_account_id: account })).errorCode).toBe('NOT_FOUND');
    });
  });

  describe('a deposit', () => {
    it('is credited pending (not spendable) until accepted; its payment shows as its last 4', async () => {
      const userId = newUser();
      const account = await linked(userId);
      const requested = await app.requestDeposit({ user_id: userId, amount: 25, external_account_id: account, reference: PAYMENT });
      expect(requested.status).toBe(201);
      expect(requested.reply).toMatchObject({ status: 'waiting_for_verification', reference_last4: '7731', amount: '25', decided_at: null });
      expect(await available(userId)).toMatchObject({ available: '0', pending_credit: '25' });
      expect((await app.transfer({ from_user_id: userId, to_user_id: newUser(), amount: 1 })).errorCode).toBe('INSUFFICIENT_FUNDS');
      const waiting = await admin.deposits({ status: 'waiting_for_verification', min_position: String(requested.headers['x-coffer-position']) });
      expect(waiting.reply.data).toContainEqual(requested.reply);
      const accepted = await admin.acceptDeposit(requested.reply.deposit_id);
      expect(accepted.reply).toMatchObject({ status: 'accepted' });
      expect(await available(userId)).toMatchObject({ available: '25', posted: '25', pending_credit: '0' });
      expect((await admin.declineDeposit(requested.reply.deposit_id, { reason: 'late' })).errorCode).toBe('CONFLICT');
      const reversed = await app.reverseTransaction(requested.reply.transaction_id);
      expect([reversed.status, reversed.errorCode, reversed.error.details]).toEqual([409, 'CONFLICT', { type: 'deposit' }]);
    });

    it('credits nothing when declined', async () => {
      const userId = newUser();
      const account = await linked(userId);
      const { deposit_id } = (await app.requestDeposit({ user_id: userId, amount: 25, external_account_id: account, reference: newPayment() })).reply;
      expect((await admin.declineDeposit(deposit_id, { reason: 'no such payment' })).reply).toMatchObject({ status: 'declined', reason: 'no such payment' });
      expect(await available(userId)).toMatchObject({ available: '0', posted: '0', pending_credit: '0' });
    });

    it('credits a payment once: reported again, by anyone, 409 CONFLICT naming the first deposit; declined, it may be reported again', async () => {
      const [userId, other] = [newUser(), newUser()];
      const [account, othersAccount] = [await linked(userId), await linked(other)];
      const payment = newPayment();
      const first = (await app.requestDeposit({ user_id: userId, amount: 25, external_account_id: account, reference: payment })).reply;
      for (const [user_id, external_account_id] of [[userId, account], [other, othersAccount]] as const) {
        const again = await app.requestDeposit({ user_id, amount: 25, external_account_id, reference: payment });
        expect([again.status, again.errorCode, again.error.details]).toEqual([409, 'CONFLICT', { deposit_id: first.deposit_id }]);
      }
      await admin.declineDeposit(first.deposit_id, { reason: 'not arrived yet' });
      const arrived = await app.requestDeposit({ user_id: userId, amount: 25, external_account_id: account, reference: payment });
      expect(arrived.status).toBe(201);
      await admin.acceptDeposit(arrived.reply.deposit_id);
      const late = await app.requestDeposit({ user_id: userId, amount: 25, external_account_id: account, reference: payment });
      expect([late.status, late.error.details]).toEqual([409, { deposit_id: arrived.reply.deposit_id }]);
      expect(await available(userId)).toMatchObject({ available: '25', posted: '25', pending_credit: '0' });
    });
  });

  it('keeps no reference anywhere in the database, neither as it is nor as its plain SHA-256; the read models equal a fresh fold', async () => {
    const pool = stack.database.pool();
    try {
      const { rows: tables } = await pool.query(
        `SELECT table_schema, table_name FROM information_schema.tables
          WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
      );
      expect(tables.length).toBeGreaterThan(5);
      const secrets = [REFERENCE, ...payments, ...[REFERENCE, ...payments].map((text) => createHash('sha256').update(text).digest('hex'))];
      for (const { table_schema, table_name } of tables) {
        const { rows } = await pool.query(`SELECT t::text AS row FROM "${table_schema}"."${table_name}" t`);
        for (const { row } of rows) for (const secret of secrets) expect([table_name, (row as string).includes(secret)]).toEqual([table_name, false]);
      }
      const store = await PostgresEventStore.connect({ connectionString: stack.database.url });
      try {
        const report = await verify(store, new Generations(pool));
        expect(report.ok).toBe(true);
      } finally {
        await store.close();
      }
    } finally {
      await pool.end();
    }
  });
});
