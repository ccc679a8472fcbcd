import { useEffect, useState } from 'preact/hooks';
import { api, query, type ApiAnswer } from '../api';
import { Field, Loading, Notice, Table, time } from '../ui';

export function User({ initial }: { initial?: string }) {
  const [userId, setUserId] = useState(initial ?? '');
  const [overview, setOverview] = useState<ApiAnswer<any>>();
  const [statement, setStatement] = useState<ApiAnswer<any>>();
  const [currency, setCurrency] = useState('coins');

  async function look(event?: Event) {
    event?.preventDefault();
    if (!userId) return;
    if (location.hash !== `#/users/${encodeURIComponent(userId)}`) history.replaceState(null, '', `#/users/${encodeURIComponent(userId)}`);
    const [o, s] = await Promise.all([
      api(`/admin/users/${encodeURIComponent(userId)}`),
      api(`/admin/users/${encodeURIComponent(userId)}/statement${query({ currency })}`),
    ]);
    setOverview(o);
    setStatement(s);
  }

  // A link to #/users/<id> (from the verification queue) shows that user at once.
  useEffect(() => {
    if (initial) void look();
  }, []);

  return (
    <>
      <h1>User</h1>
      <form class="card row" onSubmit={look} role="search">
        <Field label="User id" name="user-id" value={userId} onInput={setUserId} placeholder="169015299834642432" required />
        <Field label="Statement currency" name="statement-currency" value={currency} onInput={setCurrency} />
        <button type="submit">Look up</button>
      </form>
      {overview && (
        <Loading answer={overview}>
          {(body) => (
            <>
              <section aria-labelledby="balances-title">
                <h2 id="balances-title">Balances</h2>
                <Table
                  caption={`Balances of ${body.user_id}`}
                  head={['currency', 'available', 'posted', 'held', 'to come']}
                  rows={body.balances.map((b: any) => [b.currency, b.available, b.posted, b.pending_debit, b.pending_credit])}
                />
              </section>
              <section aria-labelledby="badges-title">
                <h2 id="badges-title">Badges</h2>
                <Table
                  caption="Achievements across apps"
                  head={['app', 'achievement', 'progress', 'unlocked']}
                  rows={body.achievements.map((a: any) => [<code>{a.app_id}</code>, a.name, `${a.progress} / ${a.goal}`, a.unlocked ? time(a.unlocked_at) : '—'])}
                  empty="no badge"
                />
              </section>
              <section aria-labelledby="tx-title">
                <h2 id="tx-title">Latest transactions</h2>
                <Table
                  caption="Newest first, every app"
                  head={['id', 'type', 'amount', 'currency', 'status', 'description', 'when']}
                  rows={body.transactions.map((t: any) => [t.transaction_id, t.type, t.amount, t.currency, t.status, t.description ?? '', time(t.created_at)])}
                  empty="no transaction"
                />
              </section>
            </>
          )}
        </Loading>
      )}
      {statement && (
        <section aria-labelledby="statement-title">
          <h2 id="statement-title">Statement</h2>
          {statement.ok ? (
            <>
              <p>
                Opening balance <strong>{statement.body.opening_balance}</strong>, closing balance <strong>{statement.body.closing_balance}</strong> {statement.body.currency}
              </p>
              <Table
                caption={`Posted movements in ${statement.body.currency}`}
                head={['transaction', 'type', 'amount', 'balance', 'posted']}
                rows={statement.body.movements.map((m: any) => [m.transaction_id, m.type, m.amount, m.balance, time(m.posted_at)])}
                empty="no movement"
              />
            </>
          ) : (
            <Notice error>{statement.error}</Notice>
          )}
        </section>
      )}
    </>
  );
}
