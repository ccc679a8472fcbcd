/**
 * The Coffer console: a signed-in operator's pages over the gateway's /admin routes. Routing by
 * the URL's hash (#/apps), so the gateway serves one index.html and a reload stays on its page.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { api, whenSignedOut } from './api';
import { Apps } from './pages/apps';
import { Audit } from './pages/audit';
import { Operations } from './pages/operations';
import { Overview } from './pages/overview';
import { User } from './pages/user';
import { Verification } from './pages/verification';
import { RoleContext, type Role } from './role';
import { forgetToken, keepToken, storedToken } from './session';
import { Field, Notice } from './ui';

const PAGES = [
  ['overview', 'Overview'],
  ['apps', 'Apps and keys'],
  ['users', 'Users'],
  ['verify', 'To verify'],
  ['audit', 'Audit'],
  ['operations', 'Operations'],
] as const;

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function SignIn({ signedIn }: { signedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  async function submit(event: Event) {
    event.preventDefault();
    const answer = await api('/admin/whoami', { token });
    if (!answer.ok) return setError(answer.status === 401 ? 'This token is not accepted.' : answer.error ?? 'the gateway does not answer');
    keepToken(token);
    signedIn();
  }
  return (
    <main class="sign-in">
      <form class="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Coffer console</h1>
        <p class="muted">Sign in with an admin token. It stays in this tab's session only.</p>
        <Field label="Admin token" name="token" type="password" value={token} onInput={setToken} required autocomplete="current-password" />
        <button type="submit">Sign in</button>
        {error && <Notice error>{error}</Notice>}
      </form>
    </main>
  );
}

function Console() {
  const [signedIn, setSignedIn] = useState(storedToken() !== null);
  const [identity, setIdentity] = useState<{ token_id: string; role: Role }>();
  const hash = useHash();
  useEffect(() => whenSignedOut(() => setSignedIn(false)), []);
  useEffect(() => {
    if (signedIn) void api('/admin/whoami').then((answer) => answer.ok && setIdentity(answer.body));
  }, [signedIn]);
  if (!signedIn) return <SignIn signedIn={() => setSignedIn(true)} />;
  if (!identity) return <p class="muted">signing in…</p>;
  const [, page = 'overview', argument] = hash.split('/');
  const signOut = () => {
    forgetToken();
    setSignedIn(false);
  };
  return (
    <RoleContext.Provider value={identity.role}>
      <header class="top">
        <a class="brand" href="#/overview">
          Coffer
        </a>
        <nav aria-label="Console pages">
          {PAGES.map(([id, label]) => (
            <a href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="badge" data-testid="identity">
          {identity.token_id} · {identity.role}
        </span>
        <button type="button" class="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {page === 'apps' ? (
          <Apps />
        ) : page === 'users' ? (
          <User initial={argument ? decodeURIComponent(argument) : undefined} key={argument} />
        ) : page === 'verify' ? (
          <Verification />
        ) : page === 'audit' ? (
          <Audit />
        ) : page === 'operations' ? (
          <Operations />
        ) : (
          <Overview />
        )}
      </main>
    </RoleContext.Provider>
  );
}

render(<Console />, document.getElementById('app')!);
