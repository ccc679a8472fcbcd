// The baseline's `verify`: the same promises Coffer's verify checks, in SQL. Per currency the
// balances sum to zero; every account's balance and holds equal the sum of its transactions;
// no user is overdrawn. Used by the bench after the baseline's run (same pass/fail rule).
'use strict';

const { Client } = require('pg');

const CHECKS = [
  {
    name: 'balances sum to zero per currency',
    sql: `SELECT currency, sum(balance)::text AS total FROM users GROUP BY currency HAVING sum(balance) <> 0`,
  },
  {
    name: 'each balance equals the sum of its posted transactions',
    sql: `WITH moves AS (
            SELECT credit_account AS account, currency, amount FROM transactions WHERE status = 'posted'
            UNION ALL
            SELECT debit_account, currency, -amount FROM transactions WHERE status = 'posted'),
          folded AS (SELECT account, currency, sum(amount) AS total FROM moves GROUP BY account, currency)
          SELECT u.user_id, u.currency, u.balance::text, coalesce(f.total, 0)::text AS folded
            FROM users u FULL JOIN folded f ON f.account = u.user_id AND f.currency = u.currency
           WHERE coalesce(u.balance, 0) <> coalesce(f.total, 0)`,
  },
  {
    name: 'holds equal the sum of pending transactions',
    sql: `WITH holds AS (
            SELECT user_id, currency,
                   sum(amount) FILTER (WHERE type = 'debit') AS pd,
                   sum(amount) FILTER (WHERE type = 'credit') AS pc
              FROM transactions WHERE status = 'pending' GROUP BY user_id, currency)
          SELECT u.user_id, u.currency FROM users u LEFT JOIN holds h USING (user_id, currency)
           WHERE u.pending_debit <> coalesce(h.pd, 0) OR u.pending_credit <> coalesce(h.pc, 0)`,
  },
  {
    name: 'no user is overdrawn',
    sql: `SELECT user_id, currency FROM users
           WHERE user_id <> 'treasury' AND user_id NOT LIKE 'house:%' AND balance - pending_debit < 0`,
  },
  {
    name: 'no pending transaction outside an open event',
    sql: `SELECT t.transaction_id FROM transactions t JOIN events e USING (event_id)
           WHERE t.status = 'pending' AND e.status <> 'open'`,
  },
];

async function checkBaseline(databaseUrl) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const problems = [];
    for (const check of CHECKS) {
      const { rows } = await client.query(check.sql);
      if (rows.length) problems.push(`${check.name}: ${rows.length} violation(s), e.g. ${JSON.stringify(rows.slice(0, 3))}`);
    }
    const { rows } = await client.query(`SELECT status, count(*)::int AS n FROM transactions GROUP BY status`);
    return { ok: problems.length === 0, problems, transactions: Object.fromEntries(rows.map((r) => [r.status, r.n])) };
  } finally {
    await client.end();
  }
}

module.exports = { checkBaseline };
