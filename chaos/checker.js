// Holds what the system holds against what its clients were told. Pure: no I/O, no clock, so it
// can be proven by mutation (selfTest below runs it on deliberately wrong models and states and
// fails the run if any of them goes unreported).
//
// Every write carries its op id in its description ("chaos <id>"), so each op is looked up in
// the read models by that, not by the id the system answered:
//   lost     an acknowledged op (transaction, event, achievement, reward of an acknowledged
//            unlock) that is not there, or an acknowledged close not in effect
//   doubled  an op that is there more than once
//   phantom  a refused op that is there anyway, or something no client asked for
//   wrong    there once but not as acknowledged (amount, status, id), a balance that differs from
//            the acknowledged movements, a currency that does not sum to zero, the API
//            disagreeing with the read models
//   unsettled  a finance event still open after its expiry, a reward not paid (liveness)
// Unknown ops (no definitive answer within the clients' bound) may or may not have happened:
// each is taken as applied exactly when it is found (once) in the store.
'use strict';

const OP_DESCRIPTION = /^chaos (\S+)$/;
const REWARD_DESCRIPTION = /^achievement (\S+)$/;
const MONEY_KINDS = new Set(['grant', 'credit', 'debit', 'transfer']);
const EITHER_END = 'closed or expired';

const group = (rows, keyOf) => {
  const map = new Map();
  for (const row of rows) {
    const key = keyOf(row);
    if (key === null) continue;
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(row);
  }
  return map;
};
const opIdOf = (description) => OP_DESCRIPTION.exec(description ?? '')?.[1] ?? null;

/** The accounts an op moves money between (double entry). */
function accountsOf(op) {
  if (op.kind === 'grant') return { debit: 'treasury', credit: `user:${op.user}` };
  if (op.kind === 'credit') return { debit: `house:${op.app}`, credit: `user:${op.user}` };
  if (op.kind === 'debit') return { debit: `user:${op.user}`, credit: `house:${op.app}` };
  return { debit: `user:${op.user}`, credit: `user:${op.to_user}` };
}

class Books {
  constructor() {
    this.lines = new Map(); // `${account}|${currency}` -> {posted, pending_debit, pending_credit}
  }

  line(account, currency) {
    const key = `${account}|${currency}`;
    if (!this.lines.has(key)) this.lines.set(key, { posted: 0n, pending_debit: 0n, pending_credit: 0n });
    return this.lines.get(key);
  }

  move({ debit, credit }, amount, currency, status) {
    const value = BigInt(amount);
    if (status === 'posted') {
      this.line(debit, currency).posted -= value;
      this.line(credit, currency).posted += value;
    } else if (status === 'pending') {
      this.line(debit, currency).pending_debit += value;
      this.line(credit, currency).pending_credit += value;
    }
  }
}

/**
 * Checks the model against the observed state. `observed` = {transactions, events, accounts,
 * achievements, progress} from the read models, optionally `api` = {balances, events, listings}.
 * Returns {anomalies: [{type, key, trial, detail}], stats}.
 */
function check(model, observed) {
  const anomalies = [];
  const flag = (type, key, trial, detail) => anomalies.push({ type, key: `${type}:${key}`, trial, detail });
  const ops = model.ops;
  const byId = new Map(ops.map((op) => [op.id, op]));
  const txByOp = group(observed.transactions, (row) => opIdOf(row.description));
  const eventsByOp = group(observed.events, (row) => opIdOf(row.description));
  const books = new Books();
  const stats = { unknown: 0, unknown_applied: 0, acknowledged: 0, refused: 0, events_closed: 0, events_expired: 0 };

  // ---- finance events: each acknowledged open exactly once, and how it ended
  const eventEnd = new Map(); // open op id -> 'closed' | 'expired' | 'open' | null (not there)
  const closeOf = new Map(ops.filter((op) => op.kind === 'close').map((op) => [op.event, op]));
  for (const op of ops) {
    if (op.kind !== 'open') continue;
    const rows = eventsByOp.get(op.id) ?? [];
    if (rows.length > 1) flag('doubled', op.id, op.trial, `event opened ${rows.length} times (ids ${rows.map((r) => r.event_id)})`);
    if (op.outcome === 'acked' && rows.length === 0) flag('lost', op.id, op.trial, `acknowledged event ${op.reply.event_id} is not in the read models`);
    if (op.outcome === 'refused' && rows.length > 0) flag('phantom', op.id, op.trial, `refused open (${op.code}) exists as event ${rows[0].event_id}`);
    if (op.outcome === 'acked' && rows.length === 1 && rows[0].event_id !== op.reply.event_id) {
      flag('wrong', op.id, op.trial, `acknowledged as event ${op.reply.event_id}, stored as ${rows[0].event_id}`);
    }
    if (rows.length === 0) {
      eventEnd.set(op.id, null);
      continue;
    }
    const seen = rows[0].status;
    const close = closeOf.get(op.id);
    let expected;
    if (close?.outcome === 'acked') expected = 'closed';
    else if (close?.outcome === 'refused' && close.code === 'EVENT_NOT_OPEN') expected = 'expired';
    else if (close && close.outcome !== 'refused') expected = EITHER_END; // its close is unknown
    else expected = 'expired'; // never closed, or its close refused for another reason
    if (seen === 'open') flag('unsettled', op.id, op.trial, `event ${rows[0].event_id} is still open (expected ${expected})`);
    else if (expected !== EITHER_END && seen !== expected) {
      const type = expected === 'closed' ? 'lost' : 'wrong';
      flag(type, op.id, op.trial, `event ${rows[0].event_id} is ${seen}, expected ${expected}${close ? ` (close ${close.outcome}${close.code ? ` ${close.code}` : ''})` : ''}`);
    }
    // The money follows what the clients were told (a close acknowledged is a close); what the
    // store did instead is flagged above. Only an unknown close, or an event still open, is read.
    eventEnd.set(op.id, seen === 'open' || expected === EITHER_END ? seen : expected);
    if (seen === 'closed') stats.events_closed++;
    if (seen === 'expired') stats.events_expired++;
  }

  // ---- money: every acknowledged movement exactly once, as acknowledged; nothing refused
  for (const op of ops) {
    if (!MONEY_KINDS.has(op.kind)) continue;
    const rows = txByOp.get(op.id) ?? [];
    const end = op.event ? eventEnd.get(op.event) : 'direct';
    const expectedStatus = end === 'direct' ? 'posted' : end === 'closed' ? 'posted' : end === 'open' ? 'pending' : 'voided';
    if (op.outcome === 'acked') stats.acknowledged++;
    if (op.outcome === 'refused') stats.refused++;
    if (op.outcome === 'unknown' || op.outcome === 'pending') stats.unknown++;
    if (rows.length > 1) flag('doubled', op.id, op.trial, `${op.kind} stored ${rows.length} times (ids ${rows.map((r) => r.transaction_id)})`);
    let applied = false;
    if (op.outcome === 'acked') {
      applied = true;
      if (rows.length === 0) flag('lost', op.id, op.trial, `acknowledged ${op.kind} ${op.reply.transaction_id} (${op.amount} ${op.currency}) is not in the read models`);
      else if (rows[0].transaction_id !== op.reply.transaction_id) {
        flag('wrong', op.id, op.trial, `acknowledged as transaction ${op.reply.transaction_id}, stored as ${rows[0].transaction_id}`);
      }
    } else if (op.outcome === 'refused') {
      if (rows.length > 0) flag('phantom', op.id, op.trial, `refused ${op.kind} (${op.code}) exists as transaction ${rows[0].transaction_id}`);
    } else if (rows.length > 0) {
      applied = true;
      stats.unknown_applied++;
    }
    if (rows.length > 0) {
      const row = rows[0];
      const { debit, credit } = accountsOf(op);
      const same = row.type === op.kind && row.amount === String(op.amount) && row.currency === op.currency && row.debit_account === debit && row.credit_account === credit;
      if (!same) flag('wrong', op.id, op.trial, `stored as ${row.type} ${row.amount} ${row.currency} ${row.debit_account}→${row.credit_account}, sent ${op.kind} ${op.amount} ${op.currency} ${debit}→${credit}`);
      if (row.status !== expectedStatus) flag('wrong', `${op.id}:status`, op.trial, `transaction ${row.transaction_id} is ${row.status}, expected ${expectedStatus}`);
    }
    if (applied) books.move(accountsOf(op), op.amount, op.currency, expectedStatus);
  }

  // ---- achievements: progress within what was acknowledged, each unlock rewarded exactly once
  const definitions = new Map(); // `${app}/${key}` -> define op
  for (const op of ops) {
    if (op.kind !== 'define') continue;
    const there = observed.achievements.some((a) => a.app_id === op.app && a.key === op.key);
    if (op.outcome === 'acked' && !there) flag('lost', op.id, op.trial, `acknowledged achievement ${op.app}/${op.key} is not in the read models`);
    if (op.outcome === 'refused' && there) flag('phantom', op.id, op.trial, `refused achievement ${op.app}/${op.key} exists`);
    if (op.outcome === 'acked' || there) definitions.set(`${op.app}/${op.key}`, op);
  }
  const progressOps = group(ops.filter((op) => op.kind === 'progress'), (op) => `${op.app}/${op.key}/${op.user}`);
  const progressSeen = new Map(observed.progress.map((row) => [`${row.app_id}/${row.key}/${row.user_id}`, row]));
  const rewardRows = group(
    observed.transactions.filter((row) => row.type === 'credit' && REWARD_DESCRIPTION.test(row.description ?? '')),
    (row) => `${row.app_id}/${REWARD_DESCRIPTION.exec(row.description)[1]}/${row.user_id}`,
  );
  for (const [target, list] of progressOps) {
    const definition = definitions.get(target.split('/').slice(0, 2).join('/'));
    const trial = list[0].trial;
    if (!definition) continue; // progress on an achievement never defined is refused; nothing to hold it against
    const acked = list.filter((op) => op.outcome === 'acked').length;
    const unknown = list.filter((op) => op.outcome === 'unknown' || op.outcome === 'pending').length;
    const refused = list.filter((op) => op.outcome === 'refused').length;
    const row = progressSeen.get(target);
    const seen = row?.progress ?? 0;
    const low = Math.min(definition.goal, acked);
    const high = Math.min(definition.goal, acked + unknown);
    if (seen < low) flag('lost', `progress:${target}`, trial, `progress ${seen}, but ${acked} increments were acknowledged (goal ${definition.goal})`);
    if (seen > high) flag('phantom', `progress:${target}`, trial, `progress ${seen}, but only ${acked} acknowledged and ${unknown} unknown increments (goal ${definition.goal}; ${refused} refused)`);
    const told = Math.max(0, ...list.filter((op) => op.outcome === 'acked').map((op) => op.reply.progress));
    if (told > seen) flag('lost', `progress-told:${target}`, trial, `a reply said progress ${told}, the read models hold ${seen}`);
  }
  for (const [target, definition] of definitions) {
    if (!definition.reward) continue;
    for (const user of new Set([...progressSeen.values()].filter((r) => `${r.app_id}/${r.key}` === target).map((r) => r.user_id))) {
      const row = progressSeen.get(`${target}/${user}`);
      const rewards = rewardRows.get(`${target}/${user}`) ?? [];
      const unlocked = row.progress >= definition.goal;
      if (unlocked !== row.unlocked) flag('wrong', `unlock:${target}/${user}`, definition.trial, `progress ${row.progress} of ${definition.goal} but unlocked=${row.unlocked}`);
      if (unlocked && rewards.length === 0) flag('unsettled', `reward:${target}/${user}`, definition.trial, `unlocked, reward not paid`);
      if (rewards.length > 1) flag('doubled', `reward:${target}/${user}`, definition.trial, `reward paid ${rewards.length} times (ids ${rewards.map((r) => r.transaction_id)})`);
      if (!unlocked && rewards.length > 0) flag('phantom', `reward:${target}/${user}`, definition.trial, `reward paid without an unlock (progress ${row.progress})`);
      const r = rewards[0];
      if (r && (r.amount !== String(definition.reward.amount) || r.currency !== definition.reward.currency || r.status !== 'posted')) {
        flag('wrong', `reward:${target}/${user}`, definition.trial, `reward stored as ${r.amount} ${r.currency} ${r.status}`);
      }
      if (unlocked) books.move({ debit: `house:${definition.app}`, credit: `user:${user}` }, definition.reward.amount, definition.reward.currency, 'posted');
    }
  }
  // A reward for an achievement that has no progress row at all is a phantom too.
  for (const [target, rows] of rewardRows) {
    const [app, key] = target.split('/');
    if (!definitions.get(`${app}/${key}`)?.reward || !progressSeen.has(target)) {
      flag('phantom', `reward:${target}`, null, `reward transaction ${rows[0].transaction_id} for ${target} matches no rewarded unlock`);
    }
  }

  // ---- anything stored that no client asked for
  for (const row of observed.transactions) {
    const opId = opIdOf(row.description);
    if (opId !== null && byId.has(opId)) continue;
    if (row.type === 'credit' && REWARD_DESCRIPTION.test(row.description ?? '')) continue; // judged above
    flag('phantom', `tx:${row.transaction_id}`, byId.get(opId)?.trial ?? null, `transaction ${row.transaction_id} (${row.type} ${row.amount} ${row.currency}, "${row.description}") matches no op`);
  }
  for (const row of observed.events) {
    const opId = opIdOf(row.description);
    if (opId === null || !byId.has(opId)) flag('phantom', `event:${row.event_id}`, null, `event ${row.event_id} ("${row.description}") matches no op`);
  }

  // ---- balances: every line equals the acknowledged movements; each currency sums to zero
  const seenLines = new Map(observed.accounts.map((row) => [`${row.account}|${row.currency}`, row]));
  for (const key of new Set([...books.lines.keys(), ...seenLines.keys()])) {
    const want = books.lines.get(key) ?? { posted: 0n, pending_debit: 0n, pending_credit: 0n };
    const row = seenLines.get(key);
    const got = row
      ? { posted: BigInt(row.posted), pending_debit: BigInt(row.pending_debit), pending_credit: BigInt(row.pending_credit) }
      : { posted: 0n, pending_debit: 0n, pending_credit: 0n };
    for (const field of ['posted', 'pending_debit', 'pending_credit']) {
      if (want[field] !== got[field]) flag('wrong', `balance:${key}:${field}`, null, `${key.replace('|', ' ')} ${field} is ${got[field]}, the acknowledged movements make ${want[field]}`);
    }
  }
  const sums = {};
  for (const row of observed.accounts) {
    const sum = (sums[row.currency] ??= { posted: 0n, pending_debit: 0n, pending_credit: 0n });
    for (const field of ['posted', 'pending_debit', 'pending_credit']) sum[field] += BigInt(row[field]);
  }
  for (const [currency, sum] of Object.entries(sums)) {
    if (sum.posted !== 0n) flag('wrong', `sum:${currency}`, null, `${currency}: balances sum to ${sum.posted}, not zero`);
    if (sum.pending_debit !== sum.pending_credit) flag('wrong', `sum-pending:${currency}`, null, `${currency}: pending debits ${sum.pending_debit} ≠ pending credits ${sum.pending_credit}`);
  }

  if (observed.api) checkApi(model, observed, books, flag);
  return { anomalies, stats: { ...stats, sums: Object.fromEntries(Object.entries(sums).map(([c, s]) => [c, String(s.posted)])) } };
}

/** The public API must tell the same story as the read-model tables and the model. */
function checkApi(model, observed, books, flag) {
  const { api } = observed;
  for (const [user, lines] of Object.entries(api.balances)) {
    const byCurrency = new Map(lines.map((line) => [line.currency, line]));
    for (const [key, want] of books.lines) {
      const [account, currency] = key.split('|');
      if (account !== `user:${user}`) continue;
      const line = byCurrency.get(currency) ?? { posted: '0', pending_debit: '0', pending_credit: '0', available: '0' };
      const available = want.posted - want.pending_debit;
      if (line.posted !== String(want.posted) || line.pending_debit !== String(want.pending_debit) || line.pending_credit !== String(want.pending_credit) || line.available !== String(available)) {
        flag('wrong', `api-balance:${user}:${currency}`, null, `GET /finance/balance/${user} ${currency}: ${JSON.stringify(line)}, the acknowledged movements make posted ${want.posted}, pending_debit ${want.pending_debit}, pending_credit ${want.pending_credit}`);
      }
    }
  }
  const rowsById = new Map(observed.transactions.map((row) => [row.transaction_id, row]));
  const eventRows = new Map(observed.events.map((row) => [row.event_id, row]));
  const opens = new Map(model.ops.filter((op) => op.kind === 'open' && op.reply).map((op) => [op.reply.event_id, op]));
  const txByEvent = group(observed.transactions, (row) => row.event_id);
  for (const [eventId, view] of Object.entries(api.events)) {
    const id = Number(eventId);
    const row = eventRows.get(id);
    const open = opens.get(id);
    if (!row || view.status !== row.status) flag('wrong', `api-event:${id}`, open?.trial ?? null, `GET /finance/event/${id} says ${view.status}, read models ${row?.status ?? 'nothing'}`);
    const listed = new Map(view.transactions.map((tx) => [tx.transaction_id, tx.status]));
    const stored = txByEvent.get(id) ?? [];
    if (listed.size !== view.transactions.length) flag('doubled', `api-event-tx:${id}`, open?.trial ?? null, `GET /finance/event/${id} lists a transaction twice`);
    for (const tx of stored) {
      if (listed.get(tx.transaction_id) !== tx.status) flag('wrong', `api-event-tx:${id}:${tx.transaction_id}`, open?.trial ?? null, `GET /finance/event/${id}: transaction ${tx.transaction_id} ${listed.get(tx.transaction_id) ?? 'missing'}, read models ${tx.status}`);
    }
    if (listed.size > stored.length) flag('phantom', `api-event-tx:${id}`, open?.trial ?? null, `GET /finance/event/${id} lists ${listed.size} transactions, the read models hold ${stored.length}`);
  }
  for (const [appId, listed] of Object.entries(api.listings)) {
    const ids = new Map();
    for (const tx of listed) ids.set(tx.transaction_id, (ids.get(tx.transaction_id) ?? 0) + 1);
    const statuses = new Map(listed.map((tx) => [tx.transaction_id, tx.status]));
    const stored = observed.transactions.filter((tx) => tx.app_id === appId && tx.transaction_id >= api.since_transaction_id);
    for (const tx of stored) {
      const count = ids.get(tx.transaction_id) ?? 0;
      if (count !== 1) flag(count === 0 ? 'lost' : 'doubled', `api-list:${tx.transaction_id}`, null, `GET /finance/transactions of ${appId} lists transaction ${tx.transaction_id} ${count} times`);
      const status = statuses.get(tx.transaction_id);
      if (count > 0 && status !== tx.status) flag('wrong', `api-list-status:${tx.transaction_id}`, null, `GET /finance/transactions lists ${tx.transaction_id} as ${status}, read models ${tx.status}`);
    }
    for (const id of ids.keys()) {
      if (!rowsById.has(id) || rowsById.get(id).app_id !== appId) flag('phantom', `api-list:${id}`, null, `GET /finance/transactions of ${appId} lists ${id}, which the read models do not hold for it`);
    }
  }
}

// ---------------------------------------------------------------- proof by mutation

const clone = (value) => structuredClone(value);

/**
 * Each mutation makes the model or the observed state wrong in one way a real fault could; the
 * checker must report it with the named type. Returns [{mutation, expected, detected, found}].
 */
function selfTest(model, observed) {
  const results = [];
  const acked = (kind, extra = () => true) => model.ops.find((op) => op.kind === kind && op.outcome === 'acked' && !op.event && extra(op));
  const trial = (mutation, expected, mutate) => {
    const m = { ops: clone(model.ops) };
    const o = clone(observed);
    const applied = mutate(m, o);
    if (applied === false) return results.push({ mutation, expected, detected: null, found: 'nothing to mutate' });
    const found = check(m, o).anomalies.filter((a) => a.type === expected);
    results.push({ mutation, expected, detected: found.length > 0, found: found.slice(0, 2).map((a) => a.detail) });
  };
  const credit = acked('credit');
  trial('drop one acknowledged credit from the model', 'phantom', (m) => {
    if (!credit) return false;
    m.ops = m.ops.filter((op) => op.id !== credit.id);
  });
  trial('the same drop also breaks the balances', 'wrong', (m) => {
    if (!credit) return false;
    m.ops = m.ops.filter((op) => op.id !== credit.id);
  });
  trial('an acknowledged credit the store never got', 'lost', (m) => {
    m.ops.push({ ...clone(credit ?? {}), id: 'fake.1', kind: 'credit', app: model.apps?.[0]?.app_id ?? 'app_1', user: 'u00', amount: 7, currency: 'coins', event: null, outcome: 'acked', reply: { transaction_id: 999999999 }, trial: 0 });
  });
  trial('a stored transaction twice', 'doubled', (m, o) => {
    const row = o.transactions.find((r) => opIdOf(r.description));
    if (!row) return false;
    o.transactions.push({ ...row, transaction_id: 999999998 });
  });
  trial('an acknowledged debit taken as refused', 'phantom', (m) => {
    const op = m.ops.find((x) => x.kind === 'debit' && x.outcome === 'acked');
    if (!op) return false;
    Object.assign(op, { outcome: 'refused', code: 'INSUFFICIENT_FUNDS' });
  });
  trial('an expired event taken as closed (its refund not done)', 'lost', (m, o) => {
    const ended = new Set(o.events.filter((e) => e.status === 'expired').map((e) => opIdOf(e.description)));
    const open = m.ops.find((op) => op.kind === 'open' && ended.has(op.id) && m.ops.some((tx) => tx.event === op.id && tx.outcome === 'acked' && MONEY_KINDS.has(tx.kind)));
    if (!open) return false;
    m.ops = m.ops.filter((op) => !(op.kind === 'close' && op.event === open.id));
    m.ops.push({ id: 'fake.close', kind: 'close', event: open.id, outcome: 'acked', trial: open.trial });
  });
  trial('an unknown op found twice', 'doubled', (m, o) => {
    const op = m.ops.find((x) => x.kind === 'transfer' && x.outcome === 'acked');
    const row = op && o.transactions.find((r) => opIdOf(r.description) === op.id);
    if (!row) return false;
    Object.assign(op, { outcome: 'unknown', reply: null });
    o.transactions.push({ ...row, transaction_id: 999999996 });
  });
  trial('one wallet off by one in the read models', 'wrong', (m, o) => {
    const row = o.accounts.find((r) => r.account.startsWith('user:'));
    if (!row) return false;
    row.posted = String(BigInt(row.posted) + 1n);
  });
  trial('a reward paid twice', 'doubled', (m, o) => {
    const row = o.transactions.find((r) => REWARD_DESCRIPTION.test(r.description ?? ''));
    if (!row) return false;
    o.transactions.push({ ...row, transaction_id: 999999997 });
  });
  trial('an acknowledged increment the store never got', 'lost', (m, o) => {
    const row = o.progress.find((r) => r.progress === 0 || m.ops.some((op) => op.kind === 'define' && op.app === r.app_id && op.key === r.key && r.progress < op.goal));
    if (!row) return false;
    m.ops.push({ id: 'fake.progress', kind: 'progress', app: row.app_id, key: row.key, user: row.user_id, outcome: 'acked', reply: { progress: row.progress + 1 }, trial: 0 });
  });
  if (observed.api) {
    trial('the API balance of one user off by one', 'wrong', (m, o) => {
      const [user, lines] = Object.entries(o.api.balances).find(([, l]) => l.length > 0) ?? [];
      if (!user) return false;
      lines[0].posted = String(BigInt(lines[0].posted) + 1n);
    });
    trial('the API list missing one transaction', 'lost', (m, o) => {
      const [appId, listed] = Object.entries(o.api.listings).find(([, l]) => l.length > 0) ?? [];
      if (!appId) return false;
      listed.shift();
    });
  }
  return results;
}

module.exports = { check, selfTest };
