/**
 * One call to Discord's REST API (https://discord.com/developers/docs/reference), as the gateway
 * (interaction follow-ups), the notifier (badge roles) and the CLI (command registration) make
 * it: bounded by a timeout, never throwing for an HTTP answer, and reading a 429's wait from
 * its body's `retry_after` (seconds, fractional) or else its Retry-After header.
 */

/** Longest wait for Discord's answer to one call. */
export const DISCORD_REQUEST_TIMEOUT_MS = 10_000;
/** Most of a Discord answer's body kept (errors are short; nothing of ours reads a long one). */
const MAX_ANSWER_CHARS = 4096;

export interface DiscordCall {
  apiUrl: string;
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  /** From the API's root, e.g. `/guilds/1/members/2/roles/3`. */
  path: string;
  /** `Authorization: Bot <token>`; interaction webhooks take none (their token is in the path). */
  botToken?: string;
  body?: unknown;
  /** Shown in the guild's audit log for role changes. */
  auditLogReason?: string;
  timeoutMs?: number;
}

export type DiscordAnswer =
  | { ok: true; status: number; body: string }
  /** `retryAfterMs`: Discord's wait on a 429 (null otherwise); status 0: no answer (network, timeout). */
  | { ok: false; status: number; body: string; retryAfterMs: number | null; error: string };

export async function callDiscord(call: DiscordCall): Promise<DiscordAnswer> {
  const headers: Record<string, string> = { 'user-agent': 'DiscordBot (https://github.com/coffer, 0.1)' };
  if (call.botToken) headers.authorization = `Bot ${call.botToken}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  if (call.auditLogReason) headers['x-audit-log-reason'] = encodeURIComponent(call.auditLogReason);
  let response: Response;
  try {
    response = await fetch(`${call.apiUrl}${call.path}`, {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: AbortSignal.timeout(call.timeoutMs ?? DISCORD_REQUEST_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    return { ok: false, status: 0, body: '', retryAfterMs: null, error: `no answer from Discord: ${(error as Error).message}` };
  }
  const body = (await response.text().catch(() => '')).slice(0, MAX_ANSWER_CHARS);
  if (response.ok) return { ok: true, status: response.status, body };
  const retryAfterMs = response.status === 429 ? retryAfterOf(body, response.headers.get('retry-after')) : null;
  return { ok: false, status: response.status, body, retryAfterMs, error: `Discord answered ${response.status}: ${messageOf(body)}` };
}

/** A 429's wait in ms: the body's retry_after (seconds, may be fractional) first, then the header's; null when neither says. */
export function retryAfterOf(body: string, header: string | null): number | null {
  try {
    const parsed = JSON.parse(body) as { retry_after?: unknown };
    if (typeof parsed.retry_after === 'number' && Number.isFinite(parsed.retry_after) && parsed.retry_after >= 0) {
      return Math.ceil(parsed.retry_after * 1000);
    }
  } catch {
    // not JSON: the header may say
  }
  const seconds = header === null ? NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : null;
}

function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message.slice(0, 200);
  } catch {
    // not JSON
  }
  return body.slice(0, 200) || '(no body)';
}
