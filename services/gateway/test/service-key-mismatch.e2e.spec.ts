/**
 * A gateway whose COFFER_SERVICE_KEY the services do not accept (a rotation rolled out in the
 * wrong order): every command it sends is refused at the ledger's door. That is a fault of the
 * deployment, not an outage a retry will outlast, so it is answered 500 INTERNAL and logged at
 * error level with what the ledger said, instead of a 503 "did not answer in time" with nothing
 * in the gateway's log. A service that is simply not there is still 503.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { formatServiceKeys, generateServiceKey } from '@coffer/platform';
import { ADMIN_TOKEN, api, Stack, startGateway, type RegisteredApp } from './gateway-harness';

jest.setTimeout(120000);

describe('a gateway signing with a key the services do not accept', () => {
  let stack: Stack;
  let app: RegisteredApp;
  let misconfigured: NestFastifyApplication;
  const logs: string[] = [];

  beforeAll(async () => {
    stack = await Stack.start('gateway_key_mismatch');
    app = await stack.registerApp('Mismatched');
    misconfigured = await startGateway(stack.env, { COFFER_ADMIN_TOKEN: ADMIN_TOKEN, COFFER_SERVICE_KEY: formatServiceKeys([generateServiceKey()]) }, logs);
  });

  afterAll(async () => {
    await misconfigured?.close();
    await stack?.close();
  });

  it('answers 500 INTERNAL and logs what the ledger said, for every request', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const granted = await api(misconfigured, ADMIN_TOKEN).grant({ user_id: 'mismatch-user', amount: 5 });
      expect({ status: granted.status, body: granted.body, retryAfter: granted.headers['retry-after'] }).toEqual({
        status: 500,
        body: { error: { code: 'INTERNAL', message: 'internal error' } },
        retryAfter: undefined,
      });
    }
    const failures = logs.map((line) => JSON.parse(line)).filter((line) => line.level === 'error' && line.msg === 'request failed');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ method: 'POST', url: '/admin/grants', error: expect.stringContaining('"reason":"unknown_key"') });
  });

  it('still answers 503 with Retry-After for a service nobody runs (achievements is not started here)', async () => {
    const defined = await stack.as(app.api_key).registerAchievement({ key: 'first', name: 'First', goal: 1 });
    expect({ status: defined.status, code: defined.errorCode, retryAfter: defined.headers['retry-after'] }).toEqual({
      status: 503,
      code: 'UNAVAILABLE',
      retryAfter: '1',
    });
  });
});
