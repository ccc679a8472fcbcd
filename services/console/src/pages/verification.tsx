import { useState } from 'preact/hooks';
import { api } from '../api';
import { useCan } from '../role';
import { Loading, Notice, Table, time, useGet } from '../ui';

type Kind = 'withdrawals' | 'deposits';

export function Verification() {
  return (
    <>
      <h1>To verify</h1>
      <p class="muted">Money leaving and entering through linked external accounts waits here for an operator.</p>
      <Queue kind="withdrawals" />
      <Queue kind="deposits" />
    </>
  );
}

function Queue({ kind }: { kind: Kind }) {
  // After a decision the list waits for the read models to hold it (min_position), so it is gone from the queue.
  const [position, setPosition] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);
  const list = useGet<{ data: any[] }>(`/admin/${kind}?status=waiting_for_verification${position ? `&min_position=${position}` : ''}`, refresh);
  const [message, setMessage] = useState<{ error: boolean; text: string }>();
  const operator = useCan('operator');
  const idOf = (item: any): number => (kind === 'withdrawals' ? item.withdrawal_id : item.deposit_id);

  async function decide(id: number, decision: 'accept' | 'decline') {
    let body: unknown;
    if (decision === 'decline') {
      const reason = prompt('Why is it declined? (the user is told)');
      if (!reason) return;
      body = { reason };
    }
    const answer = await api(`/admin/${kind}/${id}/${decision}`, { method: 'POST', body });
    setMessage(answer.ok ? { error: false, text: `${kind.slice(0, -1)} ${id}: ${answer.body.status}` } : { error: true, text: answer.error ?? '' });
    if (answer.position) setPosition(answer.position);
    setRefresh((n) => n + 1);
  }

  const title = kind === 'withdrawals' ? 'Withdrawals' : 'Deposits';
  return (
    <section aria-labelledby={`${kind}-title`}>
      <h2 id={`${kind}-title`}>{title}</h2>
      {message && <Notice error={message.error}>{message.text}</Notice>}
      <Loading answer={list}>
        {(body) => (
          <Table
            caption={`${title} waiting for verification, oldest first`}
            head={['id', 'user', 'amount', 'currency', 'account', 'requested', '']}
            rows={body.data.map((item) => [
              idOf(item),
              <a href={`#/users/${encodeURIComponent(item.user_id)}`}>{item.user_id}</a>,
              item.amount,
              item.currency,
              item.external_account_id,
              time(item.created_at),
              !operator ? '' : <span class="actions">
                <button type="button" onClick={() => decide(idOf(item), 'accept')} aria-label={`Accept ${kind.slice(0, -1)} ${idOf(item)}`}>
                  Accept
                </button>
                <button type="button" class="danger" onClick={() => decide(idOf(item), 'decline')} aria-label={`Decline ${kind.slice(0, -1)} ${idOf(item)}`}>
                  Decline
                </button>
              </span>,
            ])}
            empty={`no ${kind} waiting`}
          />
        )}
      </Loading>
    </section>
  );
}
