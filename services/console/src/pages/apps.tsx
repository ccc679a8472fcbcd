import { useState } from 'preact/hooks';
import { api } from '../api';
import { useCan } from '../role';
import { Field, Loading, Notice, Table, time, useGet } from '../ui';

const SCOPES = ['finance:write', 'finance:read', 'transfers', 'achievements', 'withdrawals'];

interface App {
  app_id: string;
  name: string;
  created_at: string;
  scopes: string[] | null;
  currencies: string[] | null;
  mint_limit_per_day: Record<string, string>;
  keys: Array<{ key_id: string; created_at: string; revoked_at: string | null }>;
}

export function Apps() {
  const [refresh, setRefresh] = useState(0);
  const apps = useGet<{ data: App[] }>('/admin/apps', refresh);
  const [name, setName] = useState('');
  const [message, setMessage] = useState<{ error: boolean; text: string; key?: string }>();
  const reload = () => setRefresh((n) => n + 1);
  const admin = useCan('admin');

  async function create(event: Event) {
    event.preventDefault();
    const answer = await api('/admin/apps', { method: 'POST', body: { name } });
    if (!answer.ok) return setMessage({ error: true, text: answer.error ?? '' });
    setMessage({ error: false, text: `App ${answer.body.name} (${answer.body.app_id}) registered. Its API key, shown only this once:`, key: answer.body.api_key });
    setName('');
    reload();
  }

  return (
    <>
      <h1>Apps and keys</h1>
      {admin ? (
        <form class="card" onSubmit={create} aria-labelledby="new-app-title">
          <h2 id="new-app-title">Register an app</h2>
          <Field label="App name" name="app-name" value={name} onInput={setName} required />
          <button type="submit">Register</button>
        </form>
      ) : (
        <p class="muted">Only an admin token registers apps and changes keys and settings: this one reads them.</p>
      )}
      {message && (
        <Notice error={message.error}>
          {message.text} {message.key && <code class="secret" data-testid="new-api-key">{message.key}</code>}
        </Notice>
      )}
      <Loading answer={apps}>{(body) => (body.data.length === 0 ? <p class="muted">no app yet</p> : body.data.map((app) => <AppCard app={app} changed={reload} />))}</Loading>
    </>
  );
}

function AppCard({ app, changed }: { app: App; changed: () => void }) {
  const [scopes, setScopes] = useState<string[]>(app.scopes ?? SCOPES);
  const [currencies, setCurrencies] = useState((app.currencies ?? []).join(', '));
  const [limits, setLimits] = useState(Object.entries(app.mint_limit_per_day).map(([c, a]) => `${c}=${a}`).join(', '));
  const [message, setMessage] = useState<{ error: boolean; text: string }>();
  const admin = useCan('admin');

  async function save(event: Event) {
    event.preventDefault();
    const mint: Record<string, string> = {};
    for (const pair of limits.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [currency, amount] = pair.split('=').map((p) => p.trim());
      mint[currency] = amount ?? '';
    }
    const list = currencies.split(',').map((c) => c.trim()).filter(Boolean);
    const answer = await api(`/admin/apps/${encodeURIComponent(app.app_id)}`, {
      method: 'PATCH',
      body: { scopes: scopes.length === SCOPES.length ? null : scopes, currencies: list.length ? list : null, mint_limit_per_day: Object.keys(mint).length ? mint : null },
    });
    setMessage(answer.ok ? { error: false, text: 'saved' } : { error: true, text: answer.error ?? '' });
    if (answer.ok) changed();
  }

  async function issue() {
    const answer = await api(`/admin/apps/${encodeURIComponent(app.app_id)}/keys`, { method: 'POST' });
    setMessage(answer.ok ? { error: false, text: `new key, shown only this once: ${answer.body.api_key}` } : { error: true, text: answer.error ?? '' });
    changed();
  }

  async function revoke(keyId: string) {
    if (!confirm(`Revoke key ${keyId}? Every gateway refuses it at once.`)) return;
    const answer = await api(`/admin/apps/${encodeURIComponent(app.app_id)}/keys/${encodeURIComponent(keyId)}`, { method: 'DELETE' });
    setMessage(answer.ok ? { error: false, text: `key ${keyId} revoked` } : { error: true, text: answer.error ?? '' });
    changed();
  }

  const id = `app-${app.app_id}`;
  return (
    <article class="card" aria-labelledby={id} data-app-id={app.app_id}>
      <h2 id={id}>
        {app.name} <code class="muted">{app.app_id}</code>
      </h2>
      <p class="muted small">registered {time(app.created_at)}</p>
      <Table
        caption={`Keys of ${app.name}`}
        head={['key', 'issued', 'revoked', '']}
        rows={app.keys.map((key) => [
          <code>{key.key_id}</code>,
          time(key.created_at),
          key.revoked_at ? time(key.revoked_at) : '—',
          key.revoked_at || !admin ? '' : (
            <button type="button" class="danger" onClick={() => revoke(key.key_id)} aria-label={`Revoke key ${key.key_id}`}>
              Revoke
            </button>
          ),
        ])}
      />
      {admin && (
        <button type="button" onClick={issue}>
          Issue a key
        </button>
      )}
      <form onSubmit={save} class="settings">
        <fieldset disabled={!admin}>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label class="check">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(event) => setScopes((list) => ((event.target as HTMLInputElement).checked ? [...list, scope] : list.filter((s) => s !== scope)))}
              />{' '}
              {scope}
            </label>
          ))}
        </fieldset>
        <fieldset disabled={!admin} class="plain">
          <Field label="Currencies (comma separated; empty: every one)" name={`${id}-currencies`} value={currencies} onInput={setCurrencies} placeholder="coins, gems" />
          <Field label="Daily mint limits (currency=amount, …; empty: none)" name={`${id}-limits`} value={limits} onInput={setLimits} placeholder="coins=10000" />
          {admin && <button type="submit">Save settings</button>}
        </fieldset>
      </form>
      {message && <Notice error={message.error}>{message.text}</Notice>}
    </article>
  );
}
