/**
 * The session's heartbeat against a small finance-event server on loopback whose clock, timeout
 * and failures the test sets: when it pings, when it stops, and what survives a failed close.
 * (The real stack's version is e2e/sdk.e2e.spec.ts.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Coffer } from './client';
import { EventNotOpenError, UnavailableError } from './errors';
import type { Session } from './session';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FakeEvents {
  timeoutMs: number;
  /** How far the server's clock is ahead of ours. */
  skewMs: number;
  status: 'open' | 'closed';
  closeAnswers: number[];
  pings: number[];
  closes: number;
}

let server: Server;
let base: string;
let fake: FakeEvents;
const sessions: Session[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const serverNow = Date.now() + fake.skewMs;
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json', date: new Date(serverNow).toUTCString() });
        response.end(JSON.stringify(body));
      };
      const expires = () => new Date(serverNow + fake.timeoutMs).toISOString();
      if (request.url === '/finance/event') return send(201, { event_id: 1, status: 'open', expires_at: expires() });
      if (request.url === '/finance/event/1/ping') {
        fake.pings.push(Date.now());
        if (fake.status !== 'open') return send(409, { error: { code: 'EVENT_NOT_OPEN', message: 'closed' } });
        return send(200, { event_id: 1, status: 'open', expires_at: expires() });
      }
      if (request.url === '/finance/event/1/close') {
        fake.closes++;
        const status = fake.closeAnswers.shift() ?? 200;
        if (status !== 200) return send(status, { error: { code: 'UNAVAILABLE', message: 'down' } });
        fake.status = 'closed';
        return send(200, { event_id: 1, status: 'closed', closed_at: new Date(serverNow).toISOString() });
      }
      send(404, { error: { code: 'NOT_FOUND', message: 'no' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  fake = { timeoutMs: 1500, skewMs: 0, status: 'open', closeAnswers: [], pings: [], closes: 0 };
});

afterEach(() => {
  for (const session of sessions.splice(0)) session.stop();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const coffer = () => new Coffer({ baseUrl: base, apiKey: 'k', retry: { baseDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 } });
async function open(options = {}): Promise<Session> {
  const session = await coffer().sessions.open(options);
  sessions.push(session);
  return session;
}

describe('session heartbeat', () => {
  it('pings at about a third of the time left, learned from expires_at', async () => {
    const session = await open();
    const opened = Date.now();
    await sleep(2600);
    // 1.5 s timeout: a ping every ~0.5 s.
    expect(fake.pings.length).toBeGreaterThanOrEqual(4);
    expect(fake.pings.length).toBeLessThanOrEqual(7);
    expect(fake.pings[0] - opened).toBeLessThan(800);
    for (let i = 1; i < fake.pings.length; i++) expect(fake.pings[i] - fake.pings[i - 1]).toBeLessThan(fake.timeoutMs / 2);
    // The server counts a ping when it arrives, the session when its answer is back: stop the
    // heartbeat, give the last answer (bounded) time to arrive, then every ping seen was counted.
    session.stop();
    const seen = fake.pings.length;
    for (const deadline = Date.now() + 1000; session.pingCount < seen && Date.now() < deadline; ) await sleep(10);
    expect(session.pingCount).toBe(seen);
  });

  it("trusts the server's Date over a local clock that runs an hour behind", async () => {
    fake.timeoutMs = 3000;
    fake.skewMs = 3600_000;
    await open();
    const opened = Date.now();
    await sleep(2500);
    // By the local clock alone the first ping would come in 20 minutes, long after the expiry;
    // by the Date header (whole seconds) it comes within a third of at most 4 s.
    expect(fake.pings.length).toBeGreaterThanOrEqual(1);
    expect(fake.pings[0] - opened).toBeLessThan(1500);
  });

  it('stops for good on close: one close request even when asked twice, no ping after', async () => {
    const session = await open();
    await sleep(600);
    const [first, second] = await Promise.all([session.close(), session.close()]);
    expect(first).toEqual(second);
    expect(fake.closes).toBe(1);
    expect(session.state).toBe('closed');
    const pings = fake.pings.length;
    await sleep(1200);
    expect(fake.pings.length).toBe(pings);
    await expect(session.close()).rejects.toThrow(/already closed/);
  });

  it('keeps pinging when a close fails for a reason a later close may fix, so the caller can close again', async () => {
    fake.closeAnswers = [503, 503];
    const session = await open();
    const error = await session.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(session.state).toBe('open');
    const pings = fake.pings.length;
    await sleep(900);
    expect(fake.pings.length).toBeGreaterThan(pings);
    await session.close();
    expect(session.state).toBe('closed');
  });

  it('ends on EVENT_NOT_OPEN, reports it once, and stop() ends a session without a request', async () => {
    const errors: unknown[] = [];
    const session = await open({ onError: (error: unknown) => errors.push(error) });
    fake.status = 'closed';
    await sleep(1000);
    expect(session.state).toBe('lost');
    expect(errors).toEqual([expect.any(EventNotOpenError)]);
    const pings = fake.pings.length;
    await sleep(800);
    expect(fake.pings.length).toBe(pings);

    fake.status = 'open';
    const other = await open();
    other.stop();
    const before = fake.pings.length;
    await sleep(800);
    expect(fake.pings.length).toBe(before);
    expect(other.state).toBe('stopped');
  });
});
