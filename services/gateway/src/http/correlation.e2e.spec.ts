import { PostgresEventStore } from '@coffer/event-store';
import { ApiClient } from '../../test/api-client';
import { ADMIN_TOKEN, api, Stack } from '../../test/gateway-harness';
import { listenOnLoopback } from '../../test/http-client';

jest.setTimeout(60000);

describe('correlation ids', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('gateway_correlation');
  });

  afterAll(() => stack?.close());

  it('follow a request from the gateway through NATS into the events it caused', async () => {
    const app = await stack.registerApp('Roulette');
    const answer = await stack.as(app.api_key).openEvent(undefined, { headers: { 'x-correlation-id': 'trace-roulette-1' } });
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

  it('survive reading a request body from a real socket, sent in chunks', async () => {
    // The body arrives in later socket events: the context must outlive body parsing.
    const base = await listenOnLoopback(stack.gateway);
    const granted = await ApiClient.http(base, ADMIN_TOKEN).grant(
      { user_id: 'traced-user', amount: 5, description: 'a grant in chunks' },
      { chunkBytes: 7, headers: { 'x-correlation-id': 'trace-grant-chunked' } },
    );
    expect(granted.status).toBe(201);
    expect(granted.headers['x-correlation-id']).toBe('trace-grant-chunked');
    const store = await PostgresEventStore.connect({ connectionString: stack.env.databaseUrl });
    try {
      const events = await store.readStream('ledger-default');
      const grant = events.find((event) => (event.data as { description?: string }).description === 'a grant in chunks');
      expect(grant?.metadata).toMatchObject({ correlation_id: 'trace-grant-chunked' });
    } finally {
      await store.close();
    }
  });

  it('are made up for a request without one, and a malformed one is not trusted', async () => {
    const bare = await api(stack.gateway).health();
    expect(bare.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await api(stack.gateway).send('GET', '/health', { headers: { 'x-correlation-id': 'x\ny: injected' } });
    expect(hostile.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
