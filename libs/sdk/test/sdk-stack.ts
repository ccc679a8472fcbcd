/**
 * A real Coffer for the SDK's end-to-end tests: PostgreSQL and NATS of the test's own, a
 * ledger (with a short finance-event timeout, so "several timeouts" take seconds), the
 * achievements service, a projector, a notifier (webhooks to loopback allowed, as in development) and a gateway listening on a loopback port, which the SDK
 * reaches with fetch over a real socket.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestDatabase, dropTestStreams, testNatsPrefix, type TestDatabase } from '@coffer/testing';
import { startAchievements } from '../../../services/achievements/test/achievements-harness';
import { ADMIN_TOKEN, startGateway, startProjector, untilServing, type StackEnv } from '../../../services/gateway/test/gateway-harness';
import { ApiClient } from '../../../services/gateway/test/api-client';
import { http, listenOnLoopback } from '../../../services/gateway/test/http-client';
import { startLedger } from '../../../services/ledger/test/ledger-harness';
import { startNotifier } from '../../../services/notifier/test/notifier-harness';

export class SdkStack {
  private readonly gateways: NestFastifyApplication[] = [];

  private constructor(
    private readonly database: TestDatabase,
    readonly env: StackEnv,
    private readonly services: INestMicroservice[],
  ) {}

  static async start(label: string, eventTimeoutSeconds: number): Promise<SdkStack> {
    const database = await createTestDatabase(label);
    const env = { databaseUrl: database.url, prefix: testNatsPrefix(label) };
    const services: INestMicroservice[] = [];
    const stack = new SdkStack(database, env, services);
    try {
      services.push(await startLedger({ ...env, eventTimeoutSeconds }));
      services.push(await startAchievements(env));
      services.push(await startProjector(env));
      services.push(await startNotifier({ ...env, allowPrivate: true }));
      return stack;
    } catch (error) {
      await stack.close();
      throw error;
    }
  }

  /** Starts a gateway listening on loopback; answers its base URL. */
  async startGateway(): Promise<{ base: string; gateway: NestFastifyApplication }> {
    const gateway = await startGateway(this.env);
    this.gateways.push(gateway);
    await untilServing(gateway);
    return { base: await listenOnLoopback(gateway), gateway };
  }

  async stopGateway(gateway: NestFastifyApplication): Promise<void> {
    this.gateways.splice(this.gateways.indexOf(gateway), 1);
    await gateway.close();
  }

  /** Registers an app through the admin API; answers its key. */
  async newApp(base: string, name: string): Promise<string> {
    const created = await ApiClient.http(base, ADMIN_TOKEN).createApp({ name });
    if (created.status !== 201) throw new Error(`POST /admin/apps: ${created.status} ${created.text}`);
    return String(created.reply.api_key);
  }

  /** Funds from the treasury (an admin grant); the user id is sent as raw JSON, so a snowflake stays exact. */
  async grant(base: string, userId: string, amount: number): Promise<void> {
    const body = `{"user_id": ${/^[0-9]+$/.test(userId) ? userId : JSON.stringify(userId)}, "amount": ${amount}}`;
    const granted = await http(base, 'POST', '/admin/grants', { token: ADMIN_TOKEN, body });
    if (granted.status !== 201) throw new Error(`POST /admin/grants: ${granted.status} ${granted.text}`);
  }

  async close(): Promise<void> {
    for (const gateway of this.gateways.splice(0)) await gateway.close().catch(() => undefined);
    for (const service of this.services.reverse()) await service.close().catch(() => undefined);
    await this.database.drop();
    await dropTestStreams(this.env.prefix).catch(() => undefined);
  }
}
