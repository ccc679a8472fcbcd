/**
 * POST /discord/interactions over the real stack (ledger, projector, achievements, PostgreSQL,
 * NATS): requests signed with a real Ed25519 key as Discord signs them, and refused unsigned,
 * mis-signed, stale or tampered. /pay moves its amount once however often Discord delivers it;
 * /balance, /badges, /leaderboard and /daily answer from the system itself. A deferred command's
 * answer reaches Discord's stand-in through the interaction webhook.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { startAchievements } from '../../achievements/test/achievements-harness';
import { DiscordStandIn } from '../../notifier/test/discord-stand-in';
import { INTERACTION_BODY_LIMIT_BYTES } from '../src/discord/interactions-endpoint';
import { ApiClient } from './api-client';
import { ADMIN_TOKEN, Stack, startGateway, until, untilServing, type RegisteredApp } from './gateway-harness';

jest.setTimeout(120000);

const ALICE = '169015299834642432'; // above 2^53: read exactly, never through a JS number
const BOB = '169015299834642433';
const CAROL = '80351110224678912';
const APPLICATION = '1100000000000000001';

/** Discord's key pair: the private half signs as Discord does, the public half is configured. */
const keys = generateKeyPairSync('ed25519');
const publicKeyHex = (key: KeyObject): string => Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');

let sequence = 0;
const interactionId = (): string => `12000000000000${String(++sequence).padStart(5, '0')}`;

function command(name: string, options: Array<{ name: string; type: number; value: unknown }> = [], invoker = ALICE, id = interactionId()): Record<string, unknown> {
  return {
    id,
    application_id: APPLICATION,
    type: 2,
    token: `token-${id}`,
    version: 1,
    guild_id: '900000000000000001',
    channel_id: '900000000000000002',
    member: { user: { id: invoker, username: 'member' }, roles: [] },
    data: { id: '1', name, type: 1, options },
  };
}

function signed(body: string, timestamp = String(Math.floor(Date.now() / 1000)), key = keys.privateKey): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-signature-ed25519': sign(null, Buffer.from(timestamp + body), key).toString('hex'),
    'x-signature-timestamp': timestamp,
  };
}

async function post(gateway: NestFastifyApplication, body: string, headers: Record<string, string>) {
  const answer = await gateway.inject({ method: 'POST', url: '/discord/interactions', headers, payload: body });
  return { status: answer.statusCode, json: answer.body ? JSON.parse(answer.body) : undefined };
}

describe('POST /discord/interactions', () => {
  let stack: Stack;
  let achievements: INestMicroservice;
  let discordApp: RegisteredApp;
  let game: ApiClient;
  let gateway: NestFastifyApplication;
  let deferring: NestFastifyApplication;
  let discord: DiscordStandIn;

  const send = async (interaction: Record<string, unknown>, to = gateway) => {
    const body = JSON.stringify(interaction);
    return post(to, body, signed(body));
  };
  const balanceOf = async (user: string) => (await game.balance(user, { consistency: 'strong' })).reply.balances.find((line) => line.currency === 'coins')?.available;

  beforeAll(async () => {
    stack = await Stack.start('gateway_discord');
    achievements = await startAchievements(stack.env);
    discordApp = await stack.registerApp('Discord');
    // What the Discord app needs: transfers (/pay), finance:write (/daily's claim), finance:read.
    expect((await stack.admin.updateApp(discordApp.app_id, { scopes: ['transfers', 'finance:write', 'finance:read'] })).status).toBe(200);
    game = ApiClient.inject(stack.gateway, (await stack.registerApp('Blackjack')).api_key);
    expect((await stack.admin.grant({ user_id: ALICE, amount: 100 })).status).toBe(201);
    expect((await stack.admin.setAllowance('coins', { amount: 25, period: 'daily' })).status).toBe(200);
    discord = await DiscordStandIn.start({ botToken: 'bot-token-0123456789abcdef', guildId: '900000000000000001', roles: [], members: [] });
    const env = { COFFER_ADMIN_TOKEN: ADMIN_TOKEN, COFFER_DISCORD_PUBLIC_KEY: publicKeyHex(keys.publicKey), COFFER_DISCORD_APP_KEY: discordApp.api_key };
    gateway = await startGateway(stack.env, env);
    deferring = await startGateway(stack.env, { ...env, COFFER_DISCORD_DEFER_AFTER_MS: '0', COFFER_DISCORD_API_URL: discord.url });
    await untilServing(gateway);
    await untilServing(deferring);
  });

  afterAll(async () => {
    await deferring?.close();
    await gateway?.close();
    await discord?.close();
    await achievements?.close();
    await stack?.close();
  });

  describe('signatures', () => {
    const ping = JSON.stringify({ id: '1', application_id: APPLICATION, type: 1, token: 't', version: 1 });

    it('answers a signed PING with a PONG', async () => {
      expect(await post(gateway, ping, signed(ping))).toEqual({ status: 200, json: { type: 1 } });
    });

    it('refuses a bad signature, missing headers, a stale timestamp and a tampered body with 401', async () => {
      const other = generateKeyPairSync('ed25519').privateKey;
      const stale = String(Math.floor(Date.now() / 1000) - 3600);
      const tampered = ping.replace('"type":1', '"type":2');
      const refused = [
        await post(gateway, ping, signed(ping, undefined, other)),
        await post(gateway, ping, { 'content-type': 'application/json' }),
        await post(gateway, ping, { ...signed(ping), 'x-signature-timestamp': '' }),
        await post(gateway, ping, signed(ping, stale)),
        await post(gateway, tampered, signed(ping)),
        await post(gateway, ping, { ...signed(ping), 'x-signature-ed25519': 'zz' }),
      ];
      for (const answer of refused) expect(answer).toMatchObject({ status: 401, json: { error: { code: 'UNAUTHENTICATED' } } });
    });

    it('never lets an unsigned /pay reach the ledger', async () => {
      const body = JSON.stringify(command('pay', [{ name: 'user', type: 6, value: BOB }, { name: 'amount', type: 4, value: 1 }]));
      expect((await post(gateway, body, signed(body, undefined, generateKeyPairSync('ed25519').privateKey))).status).toBe(401);
      expect(await balanceOf(BOB)).toBe('0');
    });

    it('caps the body: at the limit it is read, one byte more is 413', async () => {
      const padded = (size: number) => {
        const base = JSON.stringify({ type: 1, pad: '' });
        return JSON.stringify({ type: 1, pad: 'x'.repeat(size - base.length) });
      };
      const atLimit = padded(INTERACTION_BODY_LIMIT_BYTES);
      expect(await post(gateway, atLimit, signed(atLimit))).toEqual({ status: 200, json: { type: 1 } });
      const beyond = padded(INTERACTION_BODY_LIMIT_BYTES + 1);
      expect((await post(gateway, beyond, signed(beyond))).status).toBe(413);
    });

    it('is off (404) where no public key is configured', async () => {
      expect((await post(stack.gateway, ping, signed(ping))).status).toBe(404);
    });
  });

  describe('commands', () => {
    it('/pay moves exactly its amount once, even when Discord delivers it twice', async () => {
      const pay = command('pay', [{ name: 'user', type: 6, value: BOB }, { name: 'amount', type: 4, value: 30 }]);
      const first = await send(pay);
      const again = await send(pay);
      expect(first.status).toBe(200);
      expect(first.json).toMatchObject({ type: 4, data: { embeds: [{ title: 'Payment sent', description: `<@${ALICE}> paid <@${BOB}> **30** coins` }] } });
      expect(again.json).toEqual(first.json);
      expect(await balanceOf(ALICE)).toBe('70');
      expect(await balanceOf(BOB)).toBe('30');
      const moved = await until(() => game.transactions({ user_id: BOB }), (answer) => answer.reply.data.length > 0);
      expect(moved.reply.data).toEqual([expect.objectContaining({ type: 'transfer', amount: '30', user_id: ALICE, to_user_id: BOB })]);
    });

    it('/pay beyond the wallet is an ephemeral refusal in plain words, and moves nothing', async () => {
      const answer = await send(command('pay', [{ name: 'user', type: 6, value: BOB }, { name: 'amount', type: 4, value: 1000 }]));
      expect(answer.json).toEqual({ type: 4, data: { content: 'You don’t have enough coins: you have 70 available.', flags: 64, allowed_mentions: { parse: [] } } });
      expect(await balanceOf(ALICE)).toBe('70');
    });

    it('/pay to oneself, or with options of the wrong type, is a polite ephemeral answer', async () => {
      const self = await send(command('pay', [{ name: 'user', type: 6, value: ALICE }, { name: 'amount', type: 4, value: 1 }]));
      expect(self.json.data).toMatchObject({ content: 'You cannot pay yourself.', flags: 64 });
      const wrongType = await send(command('pay', [{ name: 'user', type: 3, value: BOB }, { name: 'amount', type: 4, value: 1 }]));
      expect(wrongType.json.data).toMatchObject({ content: expect.stringMatching(/did not understand/), flags: 64 });
      const fraction = await send(command('pay', [{ name: 'user', type: 6, value: BOB }, { name: 'amount', type: 10, value: 1.5 }]));
      expect(fraction.json.data).toMatchObject({ flags: 64 });
      expect(await balanceOf(ALICE)).toBe('70');
    });

    it('an unknown command or interaction type is a polite ephemeral answer, not a 500', async () => {
      const unknown = await send(command('rob', []));
      expect(unknown).toMatchObject({ status: 200, json: { type: 4, data: { content: expect.stringMatching(/no \/rob command/), flags: 64 } } });
      const component = await send({ ...command('pay'), type: 3 });
      expect(component).toMatchObject({ status: 200, json: { type: 4, data: { flags: 64 } } });
      const notAnObject = JSON.stringify([1, 2]);
      expect(await post(gateway, notAnObject, signed(notAnObject))).toMatchObject({ status: 200, json: { data: { flags: 64 } } });
    });

    it('/balance shows the invoker’s wallet, or another member’s', async () => {
      const own = await send(command('balance'));
      expect(own.json).toMatchObject({ type: 4, data: { embeds: [{ title: 'Wallet', description: `<@${ALICE}>\n**70** coins` }] } });
      const bob = await send(command('balance', [{ name: 'user', type: 6, value: BOB }]));
      expect(bob.json.data.embeds[0].description).toBe(`<@${BOB}>\n**30** coins`);
    });

    it('/daily claims the allowance once a day; again is an ephemeral refusal', async () => {
      const claimed = await send(command('daily', [], CAROL));
      expect(claimed.json).toMatchObject({ type: 4, data: { embeds: [{ title: 'Daily allowance', description: `<@${CAROL}> claimed **25** coins` }] } });
      const again = await send(command('daily', [], CAROL));
      expect(again.json.data).toMatchObject({ content: expect.stringMatching(/^You already claimed your coins allowance\. You can claim again <t:\d+:R>\.$/), flags: 64 });
      const none = await send(command('daily', [{ name: 'currency', type: 3, value: 'gems' }], CAROL));
      expect(none.json.data).toMatchObject({ content: 'There is no allowance of gems to claim.', flags: 64 });
      expect(await balanceOf(CAROL)).toBe('25');
    });

    it('/leaderboard ranks the members from the leaderboards read model', async () => {
      const answer = await until(() => send(command('leaderboard')), (each) => each.json.data.embeds?.[0].description.includes(CAROL));
      expect(answer.json.data.embeds[0]).toMatchObject({
        title: 'Leaderboard: coins',
        description: `1. <@${ALICE}>: **70** coins\n2. <@${BOB}>: **30** coins\n3. <@${CAROL}>: **25** coins`,
      });
    });

    it('/badges lists the member’s unlocked badges from the user achievements read model', async () => {
      expect((await game.registerAchievement({ key: 'natural_21', name: 'Natural 21' })).status).toBe(201);
      expect((await game.registerAchievement({ key: 'high_roller', name: 'High Roller', goal: 10 })).status).toBe(201);
      expect((await game.unlock('natural_21', { user_id: ALICE })).status).toBe(200);
      expect((await game.recordProgress('high_roller', { user_id: ALICE, increment: 3 })).status).toBe(200);
      const answer = await until(() => send(command('badges')), (each) => each.json.data.embeds?.[0].description.includes('High Roller'));
      expect(answer.json.data.embeds[0]).toMatchObject({ title: 'Badges', description: `<@${ALICE}>: 1 unlocked\n🏅 **Natural 21**\n▫️ High Roller: 3/10` });
      const bob = await send(command('badges', [{ name: 'user', type: 6, value: BOB }]));
      expect(bob.json.data.embeds[0].description).toBe(`<@${BOB}>: 0 unlocked\nNo badges yet.`);
    });

    it('a command not answered in time is deferred, and its answer follows through the interaction webhook', async () => {
      const pay = command('pay', [{ name: 'user', type: 6, value: CAROL }, { name: 'amount', type: 4, value: 5 }]);
      expect(await send(pay, deferring)).toEqual({ status: 200, json: { type: 5 } });
      const followUps = await until(
        async () => discord.requests.filter((each) => each.path === `/webhooks/${APPLICATION}/${pay.token as string}/messages/@original`),
        (found) => found.length > 0,
      );
      expect(followUps).toHaveLength(1);
      expect(followUps[0].method).toBe('PATCH');
      expect(JSON.parse(followUps[0].body)).toMatchObject({ embeds: [{ title: 'Payment sent', description: `<@${ALICE}> paid <@${CAROL}> **5** coins` }] });
      expect(await balanceOf(CAROL)).toBe('30');
    });
  });
});
