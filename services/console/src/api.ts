/** The gateway's admin routes, with the session's token. Every answer is returned, refusals included: the pages show them. */
import { forgetToken, storedToken } from './session';

export interface ApiAnswer<T> {
  status: number;
  ok: boolean;
  body: T;
  /** `CODE: message` of a refusal (API.md, Conventions: errors), or null. */
  error: string | null;
  /** A command's X-Coffer-Position: pass it as min_position to read this write (read-your-writes). */
  position: string | null;
}

/** Called when the token is refused (401): the console goes back to its sign-in. */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(listener: () => void): void {
  onSignedOut = listener;
}

export async function api<T = any>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<ApiAnswer<T>> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? storedToken() ?? ''}`, accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  // A click is one command: a retry of the same request (a flaky network) must not do it twice.
  if (method === 'POST') headers['idempotency-key'] = `console-${crypto.randomUUID()}`;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  } catch (error) {
    return { status: 0, ok: false, body: undefined as T, error: `NETWORK: ${(error as Error).message}`, position: null };
  }
  const text = await response.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (response.status === 401 && init.token === undefined) {
    forgetToken();
    onSignedOut();
  }
  const error = response.ok ? null : body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`;
  return { status: response.status, ok: response.ok, body, error, position: response.headers.get('x-coffer-position') };
}

export const query = (params: Record<string, string | number | undefined | null>): string => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};
