/**
 * Badges become Discord roles, over the real stack (gateway, ledger, achievements, projector,
 * PostgreSQL, NATS) with Discord's REST API played by its stand-in: a role reaches Discord
 * exactly once after failing first (a 5xx, then a 429 with retry_after), across restarts of
 * the outbox; an unknown member or a role above the bot's is given up at once.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { Pool } from 'pg';
import { createPool, DEFAULT_POOL_BOUNDS } from '@coffer/platform';
import { startAchievements } from '../../achievements/test/achievements-harness';
import { ApiClient } from '../../gateway/test/api-client';
import { Stack, until } from '../../gateway/test/gateway-harness';
import type { NotifierTuning } from '../src/notifier.module';
import { DiscordStandIn } from './discord-stand-in';
import { FAST_DELIVERY, startNotifier } from './notifier-harness';

jest.setTimeout(120000);

const GUILD = '900000000000000001';
const ALICE = '169015299834642432';
const BOB = '169015299834642433';
const STRANGER = '169015299834642434'; // not in the guild
const ROLE = '1187654321098765432';
const MARKER = '1187654321098765433';
const ABOVE_BOT = '1187654321098765434';
const TOKEN = 'bot-token-0123456789abcdef';

/** Retries within a test's patience. */
const FAST_ROLES: NotifierTuning = { ...FAST_DELIVERY, roles: { granter: { retry: { firstDelayMs: 50, maxDelayMs: 200, windowMs: 60_000, maxAttempts: 10 }, timeoutMs: 3_000 } } };

describe('Discord roles for badges', () => {
  let stack: Stack;
  let achievements: INestMicroservice;
  let discord: DiscordStandIn;
  let notifier: INestMicroservice | undefined;
  let game: ApiClient;
  let pool: Pool;

  const startRoles = async () => {
    notifier = await startNotifier(
      { ...stack.env, extra: { COFFER_DISCORD_BOT_TOKEN: TOKEN, COFFER_DISCORD_GUILD_ID: GUILD, COFFER_DISCORD_API_URL: discord.url } },
      FAST_ROLES,
    );
  };
  const restartRoles = async () => {
    await notifier?.close();
    await startRoles();
  };
  const requestsFor = (user: string, role: string) => discord.roleRequests().filter((each) => each.path === `/guilds/${GUILD}/members/${user}/roles/${role}`);
  const grantOf = async (user: string, role: string) =>
    (await pool.query('SELECT status, attempts, response_code, error FROM coffer_notifier.role_grants WHERE user_id = $1 AND role_id = $2', [user, role])).rows;

  beforeAll(async () => {
    stack = await Stack.start('notifier_discord_roles');
    achievements = await startAchievements(stack.env);
    game = ApiClient.inject(stack.gateway, (await stack.registerApp('Blackjack')).api_key);
    discord = await DiscordStandIn.start({ botToken: TOKEN, guildId: GUILD, roles: [ROLE, MARKER, ABOVE_BOT], members: [ALICE, BOB] });
    discord.rolesAboveBot.add(ABOVE_BOT);
    pool = createPool({ connectionString: stack.env.databaseUrl, max: 2 }, DEFAULT_POOL_BOUNDS);
    for (const [key, role] of [['natural_21', ROLE], ['marker', MARKER], ['crown', ABOVE_BOT]]) {
      expect((await game.registerAchievement({ key, name: key, discord_role_id: role })).status).toBe(201);
    }
    expect((await game.registerAchievement({ key: 'plain', name: 'No role' })).status).toBe(201);
  });

  afterAll(async () => {
    await notifier?.close();
    await pool?.end();
    await discord?.close();
    await achievements?.close();
    await stack?.close();
  });

  it('grants an unlocked badge’s role exactly once after a 5xx and a 429, across restarts of the outbox', async () => {
    discord.failures.push({ status: 503 }, { status: 429, retryAfterSeconds: 0.05 });
    await startRoles();
    expect((await game.unlock('natural_21', { user_id: ALICE })).status).toBe(200);
    expect((await game.unlock('plain', { user_id: ALICE })).status).toBe(200);
    // The first attempt failed (503): the outbox stops there and starts again.
    await until(async () => requestsFor(ALICE, ROLE), (requests) => requests.length >= 1, 30_000);
    await restartRoles();
    await until(async () => discord.memberRoles.get(`${GUILD}/${ALICE}`), (roles) => roles?.has(ROLE) === true, 30_000);
    expect(requestsFor(ALICE, ROLE).map((each) => each.status)).toEqual([503, 429, 204]);
    expect(requestsFor(ALICE, ROLE)[2].headers.authorization).toBe(`Bot ${TOKEN}`);
    expect(await grantOf(ALICE, ROLE)).toEqual([{ status: 'granted', attempts: 3, response_code: 204, error: null }]);

    // Restarted again, the outbox does not grant it twice: a later grant goes through and the first stays at one 204.
    await restartRoles();
    expect((await game.unlock('marker', { user_id: BOB })).status).toBe(200);
    await until(async () => discord.memberRoles.get(`${GUILD}/${BOB}`), (roles) => roles?.has(MARKER) === true, 30_000);
    expect(requestsFor(ALICE, ROLE).map((each) => each.status)).toEqual([503, 429, 204]);
    // Only badges with a role ask Discord for anything.
    expect(discord.roleRequests().every((each) => !each.path.endsWith('/roles/undefined'))).toBe(true);
    expect(discord.roleRequests()).toHaveLength(4);
  });

  it('gives up at once on an unknown member (404) and on a role above the bot’s (403)', async () => {
    expect((await game.unlock('marker', { user_id: STRANGER })).status).toBe(200);
    expect((await game.unlock('crown', { user_id: ALICE })).status).toBe(200);
    const stranger = await until(() => grantOf(STRANGER, MARKER), (rows) => rows[0]?.status === 'failed', 30_000);
    expect(stranger).toEqual([{ status: 'failed', attempts: 1, response_code: 404, error: 'Discord answered 404: Unknown Member' }]);
    const crown = await until(() => grantOf(ALICE, ABOVE_BOT), (rows) => rows[0]?.status === 'failed', 30_000);
    expect(crown).toEqual([{ status: 'failed', attempts: 1, response_code: 403, error: 'Discord answered 403: Missing Permissions' }]);
    expect(requestsFor(STRANGER, MARKER)).toHaveLength(1);
  });

  it('bounds the queue: with one grant waiting (Discord down), the next is recorded as failed, not queued', async () => {
    await notifier?.close();
    notifier = await startNotifier(
      { ...stack.env, extra: { COFFER_DISCORD_BOT_TOKEN: TOKEN, COFFER_DISCORD_GUILD_ID: GUILD, COFFER_DISCORD_API_URL: discord.url } },
      { ...FAST_ROLES, roles: { ...FAST_ROLES.roles, maxPending: 1 } },
    );
    discord.failures.push(...Array.from({ length: 1000 }, () => ({ status: 502 as const })));
    expect((await game.unlock('natural_21', { user_id: BOB })).status).toBe(200);
    await until(() => grantOf(BOB, ROLE), (rows) => rows[0]?.status === 'pending' && rows[0].attempts > 0, 30_000);
    expect((await game.unlock('crown', { user_id: BOB })).status).toBe(200);
    const refused = await until(() => grantOf(BOB, ABOVE_BOT), (rows) => rows.length > 0, 30_000);
    expect(refused).toEqual([{ status: 'failed', attempts: 0, response_code: null, error: 'not attempted: 1 role grants were already waiting' }]);
    discord.failures.length = 0; // Discord is back: the waiting one goes through
    await until(() => grantOf(BOB, ROLE), (rows) => rows[0]?.status === 'granted', 30_000);
    expect(requestsFor(BOB, ABOVE_BOT)).toHaveLength(0);
  });
});
