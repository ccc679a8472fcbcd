import { useState } from 'preact/hooks';
import { api, query, type ApiAnswer } from '../api';
import { Field, Notice, Table, time } from '../ui';

/** GET /admin/audit (API.md "Operators"): every command decided, newest first, by cursor. */
interface AuditEntry {
  correlation_id: string;
  command_type: string | null;
  decided_at: string;
  app_id: string | null;
  key_id: string | null;
  admin_token_id: string | null;
  user_ids: string[];
  outcome: 'accepted' | 'refused';
  events: string[];
  refusal: { code: string; message: string } | null;
}

const FILTERS = [
  ['app_id', 'App id'],
  ['user_id', 'User id'],
  ['correlation_id', 'Correlation id'],
  ['type', 'Command type'],
  ['from', 'From (time)'],
  ['to', 'To (time)'],
] as const;

export function Audit() {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [answer, setAnswer] = useState<ApiAnswer<any>>();

  async function search(event?: Event, after?: string) {
    event?.preventDefault();
    const found = await api<{ data: AuditEntry[]; next_cursor: string | null }>(`/admin/audit${query({ ...filters, cursor: after })}`);
    setAnswer(found);
    if (!found.ok) return;
    setEntries((list) => (after ? [...list, ...found.body.data] : found.body.data));
    setCursor(found.body.next_cursor);
  }

  return (
    <>
      <h1>Audit trail</h1>
      <form class="card filters" onSubmit={(event) => search(event)} role="search" aria-label="Search the audit trail">
        {FILTERS.map(([name, label]) => (
          <Field label={label} name={`audit-${name}`} value={filters[name] ?? ''} onInput={(value) => setFilters((f) => ({ ...f, [name]: value }))} />
        ))}
        <button type="submit">Search</button>
      </form>
      {answer && !answer.ok && <Notice error>{answer.error}</Notice>}
      {answer?.ok && (
        <>
          <Table
            caption="Commands decided, newest first"
            head={['when', 'command', 'who', 'users', 'outcome', 'correlation id']}
            rows={entries.map((entry) => [
              time(entry.decided_at),
              entry.command_type ?? '—',
              entry.admin_token_id ? `admin token ${entry.admin_token_id}` : entry.app_id ? `${entry.app_id} (${entry.key_id ?? 'no key'})` : 'system',
              entry.user_ids.join(', '),
              entry.outcome === 'accepted' ? (
                <span class="ok">accepted: {entry.events.join(', ')}</span>
              ) : (
                <span class="refused">refused: {entry.refusal ? `${entry.refusal.code} (${entry.refusal.message})` : entry.events.join(', ')}</span>
              ),
              <code>{entry.correlation_id}</code>,
            ])}
            empty="nothing matches"
          />
          {cursor && (
            <button type="button" onClick={() => search(undefined, cursor)}>
              Older entries
            </button>
          )}
        </>
      )}
    </>
  );
}
