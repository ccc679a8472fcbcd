/**
 * One delivery attempt against real sockets: the SSRF check after DNS (a name resolving to
 * 127.0.0.1 is refused without COFFER_WEBHOOK_ALLOW_PRIVATE and no connection is made), the
 * address checked is the address connected to, no redirect followed, the answer read at most
 * MAX_RESPONSE_BYTES, and a receiver that never answers given up at the deadline.
 */
import { lookup as dnsLookup } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attemptDelivery, checkedLookup, targetRefusal } from '../src/delivery/http-target';

const closed = { allowPrivate: false };
const open = { allowPrivate: true };

describe('a delivery attempt', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      paths.push(request.url ?? '');
      request.resume();
      if (request.url === '/redirect') return void response.writeHead(302, { location: '/elsewhere' }).end();
      if (request.url === '/silent') return; // never answers
      if (request.url === '/huge') {
        response.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (response.write(chunk)) if (response.destroyed) return;
          response.once('drain', pump);
        };
        return pump();
      }
      response.writeHead(200).end('ok');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (url: string, rules = open, timeoutMs = 2_000, resolve?: typeof dnsLookup) =>
    attemptDelivery({ url, body: '{"id":"x"}', headers: {} }, rules, timeoutMs, resolve);

  it('refuses a name that resolves to loopback without the flag, after DNS, and connects nowhere', async () => {
    const before = connections;
    const result = await post(`https://localhost:${port}/hook`, closed);
    expect(result).toEqual({ ok: false, status: null, error: expect.stringMatching(/loopback address/) });
    expect(await post(`http://localhost:${port}/hook`, closed)).toEqual({ ok: false, status: null, error: 'webhooks must use https://' });
    expect(await post(`https://127.0.0.1:${port}/hook`, closed)).toMatchObject({ ok: false, error: expect.stringMatching(/loopback/) });
    expect(await post(`https://[::ffff:127.0.0.1]:${port}/hook`, closed)).toMatchObject({ ok: false, error: expect.stringMatching(/loopback/) });
    expect(connections).toBe(before);
    // At registration too.
    expect(await targetRefusal(`https://localhost:${port}/hook`, closed)).toMatch(/loopback address/);
    expect(await targetRefusal(`https://169.254.169.254/latest/meta-data`, closed)).toMatch(/link-local/);
    expect(await targetRefusal(`http://localhost:${port}/hook`, open)).toBeNull();
  });

  it('delivers to loopback with the flag, resolving once and connecting to the address it checked', async () => {
    let lookups = 0;
    const resolver = ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
      lookups++;
      // A rebinding resolver: the first answer is loopback (allowed here), every later one the metadata service.
      const address = lookups === 1 ? '127.0.0.1' : '169.254.169.254';
      callback(null, [{ address, family: 4 }]);
    }) as unknown as typeof dnsLookup;
    expect(await post(`http://rebinding.test:${port}/hook`, open, 2_000, resolver)).toEqual({ ok: true, status: 200 });
    expect(lookups).toBe(1);
    // The next attempt resolves again, is told the metadata address, and refuses it.
    expect(await post(`http://rebinding.test:${port}/hook`, open, 2_000, resolver)).toMatchObject({ ok: false, error: expect.stringMatching(/link-local/) });
  });

  it('refuses a name when any of its addresses is refused (one public and one private)', async () => {
    const lookup = checkedLookup('https:', closed, ((_h: string, _o: object, callback: (...args: unknown[]) => void) =>
      callback(null, [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ])) as unknown as typeof dnsLookup);
    const error = await new Promise<Error | null>((resolve) => lookup('mixed.test', {}, (e) => resolve(e)));
    expect(error?.message).toMatch(/private address \(10\.0\.0\.5\)/);
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    const before = paths.length;
    expect(await post(`http://127.0.0.1:${port}/redirect`)).toEqual({ ok: false, status: 302, error: 'answered 302' });
    expect(paths.slice(before)).toEqual(['/redirect']);
  });

  it('reads at most a few KiB of an endless answer, and gives up on a receiver that never answers', async () => {
    const started = Date.now();
    expect(await post(`http://127.0.0.1:${port}/huge`)).toEqual({ ok: true, status: 200 });
    expect(Date.now() - started).toBeLessThan(1_500);
    const silent = Date.now();
    expect(await post(`http://127.0.0.1:${port}/silent`, open, 300)).toMatchObject({ ok: false, status: null, error: expect.stringMatching(/no answer within 300 ms/) });
    expect(Date.now() - silent).toBeLessThan(1_500);
  });
});
