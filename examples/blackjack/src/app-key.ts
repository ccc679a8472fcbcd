/**
 * The game's Coffer app key: COFFER_API_KEY when given; otherwise the game registers itself as a
 * new app with the admin token (COFFER_ADMIN_TOKEN, the token `npm start` printed at its first
 * start, or the one it was started with) and prints the key once, so the next start can reuse it.
 *
 * The admin API is not the SDK's business (a game never holds the admin token in production), so
 * this is one plain fetch. Started right after `npm start`, the gateway may not answer yet: a
 * refused connection or a 503 is tried again every second, for at most `waitMs`.
 */
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface RegisterAppOptions {
  baseUrl: string;
  adminToken: string;
  name: string;
  waitMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function registerApp(options: RegisterAppOptions): Promise<{ appId: string; apiKey: string }> {
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  for (;;) {
    let response: Response;
    try {
      response = await fetch(new URL('/admin/apps', options.baseUrl), {
        method: 'POST',
        headers: { Authorization: `Bearer ${options.adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: options.name }),
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
    } catch (error) {
      if (Date.now() < deadline) {
        await sleep(1000);
        continue;
      }
      throw new Error(`Coffer does not answer at ${options.baseUrl} (is \`npm start\` running?): ${(error as Error).message}`);
    }
    if (response.status === 503 && Date.now() < deadline) {
      await sleep(1000);
      continue;
    }
    const text = await response.text();
    if (response.status === 401) {
      throw new Error('Coffer refused the admin token: COFFER_ADMIN_TOKEN must be the token `npm start` printed at its first start');
    }
    if (response.status !== 201) throw new Error(`POST /admin/apps answered ${response.status}: ${text.slice(0, 300)}`);
    const created = JSON.parse(text) as { app_id: string; api_key: string };
    return { appId: created.app_id, apiKey: created.api_key };
  }
}
