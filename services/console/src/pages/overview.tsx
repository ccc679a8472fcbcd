import { useEffect, useState } from 'preact/hooks';
import { query } from '../api';
import { DailyChart, type DailyFigure } from '../chart';
import { followEvents, type StreamedEvent } from '../sse';
import { ProjectionFacts } from './projection';
import { Loading, Table, time, useGet } from '../ui';

/** Events the live list keeps (newest first); older ones scroll away. */
const LIVE_EVENTS = 50;
const DAYS = 30;

interface DailyRow extends DailyFigure {
  app_id: string;
  currency: string | null;
  active_users: number;
  unlocks: number;
}

export function Overview() {
  const supply = useGet<{ data: Array<{ currency: string; supply: string; pending_debit: string; pending_credit: string; wallets: number }> }>('/admin/stats/supply', 0, 10000);
  const status = useGet<any>('/admin/operations/status', 0, 10000);
  const events = useGet<{ data: Array<{ event_id: number; app_id: string; description: string | null; opened_at: string; expires_at: string }> }>('/admin/finance-events?limit=20', 0, 10000);
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - (DAYS - 1) * 86400000).toISOString().slice(0, 10);
  const daily = useGet<{ data: DailyRow[] }>(`/admin/stats/daily${query({ from, to })}`);
  return (
    <>
      <h1>Overview</h1>
      <div class="grid">
        <section aria-labelledby="supply-title">
          <h2 id="supply-title">Money supply</h2>
          <Loading answer={supply}>
            {(body) => (
              <Table
                caption="What the users' wallets hold, per currency"
                head={['currency', 'supply', 'held', 'to come', 'wallets']}
                rows={body.data.map((line) => [line.currency, <span class="amount">{line.supply}</span>, line.pending_debit, line.pending_credit, line.wallets])}
                empty="no money in any wallet yet"
              />
            )}
          </Loading>
        </section>
        <section aria-labelledby="lag-title">
          <h2 id="lag-title">Projection lag</h2>
          <Loading answer={status}>
            {(body) => <ProjectionFacts status={body} />}
          </Loading>
        </section>
      </div>
      <section aria-labelledby="daily-title">
        <h2 id="daily-title">Daily figures (last {DAYS} days)</h2>
        <Loading answer={daily}>{(body) => <Daily rows={body.data} from={from} />}</Loading>
      </section>
      <section aria-labelledby="open-title">
        <h2 id="open-title">Open finance events</h2>
        <Loading answer={events}>
          {(body) => (
            <Table
              caption="Rounds holding pending transactions, oldest first"
              head={['event', 'app', 'description', 'opened', 'expires']}
              rows={body.data.map((event) => [event.event_id, <code>{event.app_id}</code>, event.description ?? '', time(event.opened_at), time(event.expires_at)])}
              empty="no open event"
            />
          )}
        </Loading>
      </section>
      <LiveEvents />
    </>
  );
}

function Daily({ rows, from }: { rows: DailyRow[]; from: string }) {
  // A day of unlocks and no money is a row without a currency: the table of unlocks is per currency, so they are left out here.
  const currencies = [...new Set(rows.map((row) => row.currency).filter((currency): currency is string => currency !== null))].sort();
  const [currency, setCurrency] = useState<string>('');
  const chosen = currency || currencies[0] || 'coins';
  const byDay = new Map<string, { day: string; minted: bigint; absorbed: bigint; transferred: bigint; active_users: number; unlocks: number }>();
  for (const row of rows.filter((r) => r.currency === chosen)) {
    const day = byDay.get(row.day) ?? { day: row.day, minted: 0n, absorbed: 0n, transferred: 0n, active_users: 0, unlocks: 0 };
    day.minted += BigInt(row.minted);
    day.absorbed += BigInt(row.absorbed);
    day.transferred += BigInt(row.transferred);
    day.active_users += row.active_users;
    day.unlocks += row.unlocks;
    byDay.set(row.day, day);
  }
  const days = [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  // The chart has a slot for every day of the range, quiet ones too, so one busy day is not one wide bar.
  const figures = Array.from({ length: DAYS }, (_, index) => {
    const day = new Date(Date.parse(from) + index * 86400000).toISOString().slice(0, 10);
    const figure = byDay.get(day);
    return { day, minted: String(figure?.minted ?? 0n), absorbed: String(figure?.absorbed ?? 0n), transferred: String(figure?.transferred ?? 0n) };
  });
  return (
    <>
      {currencies.length > 1 && (
        <div class="field inline">
          <label for="daily-currency">Currency</label>
          <select id="daily-currency" value={chosen} onChange={(event) => setCurrency((event.target as HTMLSelectElement).value)}>
            {currencies.map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </div>
      )}
      {days.length === 0 ? <p class="muted">no activity in these days</p> : <DailyChart figures={figures} currency={chosen} />}
      <Table
        caption={`Daily totals in ${chosen}, every app`}
        head={['day', 'minted', 'absorbed', 'transferred', 'active users*', 'unlocks']}
        rows={days.map((d) => [d.day, String(d.minted), String(d.absorbed), String(d.transferred), d.active_users, d.unlocks])}
        empty="no activity in these days"
      />
      <p class="muted small">* summed over apps: a user active in two apps counts twice.</p>
    </>
  );
}

function LiveEvents() {
  const [events, setEvents] = useState<StreamedEvent[]>([]);
  const [state, setState] = useState('connecting…');
  useEffect(() => {
    const abort = new AbortController();
    void followEvents((event) => setEvents((list) => [event, ...list].slice(0, LIVE_EVENTS)), setState, abort.signal);
    return () => abort.abort();
  }, []);
  return (
    <section aria-labelledby="live-title">
      <h2 id="live-title">
        Live events <span class="badge" data-testid="stream-state">{state}</span>
      </h2>
      <ol class="live" aria-live="polite" aria-label="Events as they are stored, newest first">
        {events.length === 0 && <li class="muted">waiting for events…</li>}
        {events.map((event) => (
          <li>
            <code>{event.id}</code> <strong>{event.type}</strong> <span class="muted">{event.data.stream}</span> <time>{time(event.data.occurred_at)}</time>
          </li>
        ))}
      </ol>
    </section>
  );
}
