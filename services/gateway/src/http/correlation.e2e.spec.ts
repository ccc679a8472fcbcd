import { PostgresEventStore } from '@coffer/event-store';
import { call, Stack } from '../gateway.test-helpers';

jest.setTimeout(60000);

describe('correlation ids', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('gateway_correlation');
  });

  afterAll(() => stack?.close());

  it('follow a request from the gateway through NATS into the events it caused', async () => {
    const app = await stack.registerApp('Roulette');
    const answer = await call(stack.gateway, 'POST', '/finance/event', {
      token: app.api_key,
      headers: { 'x-correlation-id': 'trace-roulette-1' },
    });
    expect(answer.status).toBe(201);
    expect(answer.headers['x-correlation-id']).toBe('trace-roulette-1');

    const store = await PostgresEventStore.connect({ connectionString: stack.env.databaseUrl });
    try {
      const events = await store.readStream('ledger-default');
      const opened = events.find((event) => event.type === 'EventOpened');
      expect(opened?.metadata).toMatchObject({
        correlation_id: 'trace-roulette-1',
        app_id: app.app_id,
        key_id: app.key_id,
      });
    } finally {
      await store.close();
    }
  });

  it('are made up for a request without one, and a malformed one is not trusted', async () => {
    const bare = await call(stack.gateway, 'GET', '/health');
    expect(bare.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await call(stack.gateway, 'GET', '/health', { headers: { 'x-correlation-id': 'x\ny: injected' } });
    expect(hostile.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
