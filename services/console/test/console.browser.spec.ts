/**
 * The console in a real browser: Debian's chromium, headless, driven by playwright-core, against
 * a real stack (ledger, projector, notifier, gateway listening on loopback). It signs in, reads
 * the overview, registers an app, accepts a withdrawal, looks up the user, verifies and rebuilds,
 * and finds the accepted withdrawal in the audit trail; no page may log a console error. Each
 * page's screenshot is taken; with COFFER_UPDATE_SCREENSHOTS=1 into docs/console/ (the README
 * shows them), else into a temporary folder, so a test run leaves the working tree as it was.
 *
 * The browser is the system's (`apt-get install chromium`; .ci/run installs it when missing):
 * without it this suite fails saying so, it does not skip.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ApiClient } from '../../gateway/test/api-client';
import { ADMIN_TOKEN, Stack, until } from '../../gateway/test/gateway-harness';
import { listenOnLoopback } from '../../gateway/test/http-client';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildConsole } = require('../build.js') as { buildConsole: () => Promise<string> };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.COFFER_UPDATE_SCREENSHOTS === '1' ? join(__dirname, '../../../docs/console') : mkdtempSync(join(tmpdir(), 'coffer-console-'));
const USER = 'player-1';

jest.setTimeout(90_000);

describe('the console in a browser', () => {
  let stack: Stack;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Console errors and uncaught exceptions, with the page (hash) they happened on. */
  const errors: string[] = [];
  let withdrawalId: number;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    // What the gateway serves is what this test just built from the sources.
    await buildConsole();
    stack = await Stack.start('console-browser');
    base = await listenOnLoopback(stack.gateway);

    // A wallet with money, an open round and a withdrawal waiting, through the API.
    const game = await stack.registerApp('Arcade');
    const app = ApiClient.http(base, game.api_key);
    const admin = ApiClient.http(base, ADMIN_TOKEN);
    (await admin.grant({ user_id: USER, amount: 1000, description: 'welcome' })).reply;
    (await app.postTransaction({ user_id: USER, type: 'debit', amount: 25, description: 'snack' })).reply;
    const round = (await app.openEvent({ description: 'blackjack table 3' })).reply;
    (await app.postTransaction({ user_id: USER, event_id: round.event_id, type: 'debit', amount: 50 })).reply;
    const account = (await app.linkExternalAccount(USER, { kind: 'bank', label: 'savings', reference: 'DE89370400440532013000' })).reply;
    withdrawalId = (await app.requestWithdrawal({ user_id: USER, amount: 100, external_account_id: account.external_account_id })).reply.withdrawal_id;
    await until(() => admin.withdrawals({ status: 'waiting_for_verification' }), (answer) => answer.status === 200 && answer.reply.data.length === 1);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await watched(context, errors);
  });

  // A test that failed half-way leaves its page's errors: they are its own, not the next test's.
  afterEach(() => errors.splice(0));

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** A new page whose console errors and uncaught exceptions land in `into`. */
  async function watched(on: BrowserContext, into: string[]): Promise<Page> {
    const opened = await on.newPage();
    opened.on('console', (message) => {
      if (message.type() === 'error') into.push(`${new URL(opened.url()).hash || '/'}: ${message.text()} (${message.location().url})`);
    });
    opened.on('pageerror', (error) => into.push(`${new URL(opened.url()).hash || '/'}: uncaught ${error.message}`));
    return opened;
  }

  async function signIn(on: Page): Promise<void> {
    await on.goto(`${base}/console/`);
    await on.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await on.getByRole('button', { name: 'Sign in' }).click();
    await on.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  }

  async function shoot(name: string, on: Page = page): Promise<void> {
    await on.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  /** No console error since the last check. */
  function expectNoConsoleErrors(): void {
    const seen = errors.splice(0);
    expect(seen).toEqual([]);
  }

  it('refuses a wrong token, signs in with the admin token and keeps it in the session only', async () => {
    await page.goto(`${base}/console`); // redirected to /console/
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'This token is not accepted.' }).waitFor();
    await shoot('sign-in');
    errors.splice(0); // the refused sign-in's 401 is logged by the browser as a failed resource, as it should be
    await signIn(page);
    const storage = await page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]');
    expect(storage).toEqual([1, 0, '']);
    expectNoConsoleErrors();
  });

  it('reads the overview: money supply, daily figures, open events, projection lag and live events', async () => {
    const supply = page.getByRole('region', { name: "What the users' wallets hold, per currency" });
    // 1000 granted − 25 spent: 975 posted; the withdrawal's 100 and the round's 50 are held.
    await supply.getByRole('cell', { name: '975', exact: true }).waitFor();
    await supply.getByRole('cell', { name: '150', exact: true }).waitFor();
    await page.getByRole('region', { name: 'Rounds holding pending transactions, oldest first' }).getByRole('cell', { name: 'blackjack table 3' }).waitFor();
    await page.getByTestId('lag-events').waitFor();
    await page.getByTestId('stream-state').filter({ hasText: 'live' }).waitFor();
    const daily = page.locator('section', { has: page.getByRole('heading', { name: /Daily figures/ }) });
    await daily.getByRole('region', { name: /Daily totals in coins/ }).or(daily.getByRole('alert')).waitFor();
    const refusal = await daily.getByRole('alert').allTextContents();
    if (refusal.length > 0) throw new Error(`GET /admin/stats/daily failed (${refusal.join('; ')}): the overview's chart needs the operators-api branch's route`);
    await daily.getByRole('img', { name: /Daily coins figures/ }).waitFor();
    // A command made now shows in the live list.
    await ApiClient.http(base, ADMIN_TOKEN).grant({ user_id: 'live-viewer', amount: 1 });
    await page.getByRole('list', { name: /Events as they are stored/ }).getByText('TransactionPosted').first().waitFor();
    await shoot('overview');
    expectNoConsoleErrors();
  });

  it('registers an app, shows its key once and lists it with its keys and settings', async () => {
    await page.getByRole('link', { name: 'Apps and keys' }).click();
    await page.getByLabel('App name').fill('Console-made app');
    await page.getByRole('button', { name: 'Register' }).click();
    await expect(page.getByTestId('new-api-key').textContent()).resolves.toMatch(/\S{20,}/);
    const card = page.getByRole('article', { name: /Console-made app/ });
    await card.getByRole('button', { name: /^Revoke key / }).waitFor();
    await card.getByRole('checkbox', { name: 'transfers' }).uncheck();
    await card.getByLabel(/Daily mint limits/).fill('coins=5000');
    await card.getByRole('button', { name: 'Save settings' }).click();
    await card.getByRole('status').filter({ hasText: 'saved' }).waitFor();
    const apps = (await ApiClient.http(base, ADMIN_TOKEN).apps()).reply.data;
    expect(apps.find((app) => app.name === 'Console-made app')).toEqual(
      expect.objectContaining({ scopes: ['finance:write', 'finance:read', 'achievements', 'withdrawals'], mint_limit_per_day: { coins: '5000' } }),
    );
    await shoot('apps');
    expectNoConsoleErrors();
  });

  it('accepts the waiting withdrawal', async () => {
    await page.getByRole('link', { name: 'To verify' }).click();
    await page.getByRole('button', { name: `Accept withdrawal ${withdrawalId}` }).click();
    await page.getByRole('status').filter({ hasText: `withdrawal ${withdrawalId}: accepted` }).waitFor();
    await page.getByRole('region', { name: /Withdrawals waiting/ }).getByText('no withdrawals waiting').waitFor();
    await shoot('verify');
    expectNoConsoleErrors();
  });

  it("shows a user's balances, badges, transactions and statement", async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('User id').fill(USER);
    await page.getByRole('button', { name: 'Look up' }).click();
    const balances = page.getByRole('region', { name: `Balances of ${USER}` });
    // 1000 granted − 25 spent − 100 withdrawn: 875 posted; 50 held by the open round: 825 available.
    const line = await until(
      async () => {
        await page.getByRole('button', { name: 'Look up' }).click();
        return balances.getByRole('row').nth(1).locator('td').allTextContents();
      },
      (cells) => cells.join(' ') === 'coins 825 875 50 0',
      10_000,
    );
    expect(line).toEqual(['coins', '825', '875', '50', '0']);
    await page.getByRole('region', { name: 'Newest first, every app' }).getByRole('cell', { name: 'withdrawal' }).first().waitFor();
    await page.getByText('closing balance').waitFor();
    await shoot('user');
    expectNoConsoleErrors();
  });

  it('verifies the books and rebuilds the read models with progress', async () => {
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('[data-testid="job"][data-status="done"]').getByText(/^OK at position/).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Rebuild' }).click();
    await page.locator('[data-testid="job"][data-status="done"]').getByText(/now serving/).waitFor({ timeout: 60_000 });
    await shoot('operations');
    expectNoConsoleErrors();
  });

  it('fits a phone: the overview at 390 px wide', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const phoneErrors: string[] = [];
    const small = await watched(phone, phoneErrors);
    await signIn(small);
    await small.getByRole('region', { name: "What the users' wallets hold, per currency" }).getByRole('cell', { name: 'coins' }).waitFor();
    // Nothing wider than the screen but the tables, which scroll inside their own region.
    const overflow = await small.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
    await shoot('overview-phone', small);
    await phone.close();
    expect(phoneErrors).toEqual([]);
  });

  it("offers an auditor no change: the operations page reads, it runs nothing", async () => {
    const created = await ApiClient.http(base, ADMIN_TOKEN).send<{ token: string }>('POST', '/admin/tokens', { body: { name: 'console auditor', role: 'auditor' } });
    const auditorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const auditorErrors: string[] = [];
    const auditor = await watched(auditorContext, auditorErrors);
    await auditor.goto(`${base}/console/`);
    await auditor.getByLabel('Admin token').fill(created.reply.token);
    await auditor.getByRole('button', { name: 'Sign in' }).click();
    await auditor.getByTestId('identity').filter({ hasText: 'auditor' }).waitFor();
    await auditor.getByRole('link', { name: 'Operations' }).click();
    await auditor.getByText('An auditor reads the status and the jobs').waitFor();
    expect(await auditor.getByRole('button', { name: 'Verify' }).count()).toBe(0);
    await auditor.getByRole('link', { name: 'Apps and keys' }).click();
    await auditor.getByText('Only an admin token registers apps').waitFor();
    await auditorContext.close();
    expect(auditorErrors).toEqual([]);
  });

  it('finds the accepted withdrawal in the audit trail', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('User id').fill(USER);
    await page.getByLabel('Command type').fill('AcceptWithdrawal');
    await page.getByRole('button', { name: 'Search' }).click();
    const table = page.getByRole('region', { name: 'Commands decided, newest first' });
    await table.or(page.getByRole('alert')).first().waitFor();
    const refusal = await page.getByRole('alert').allTextContents();
    if (refusal.length > 0) throw new Error(`GET /admin/audit failed (${refusal.join('; ')}): the audit page needs the operators-api branch's route`);
    await table.getByRole('cell', { name: 'AcceptWithdrawal' }).first().waitFor();
    await table.getByText(/^accepted: /).first().waitFor();
    await shoot('audit');
    expectNoConsoleErrors();
  });
});
