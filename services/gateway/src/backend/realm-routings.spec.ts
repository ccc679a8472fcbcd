import { connect, type NatsConnection } from 'nats';
import { PATTERNS, subjectOf } from '@coffer/contracts';
import { ServiceKeyring } from '@coffer/platform';
import { testNatsPrefix, testNatsUrl, testServiceKeys } from '@coffer/testing';
import { RealmRoutings } from './realm-routings';
import { ReplyInbox } from './reply-inbox';

describe('RealmRoutings over a real NATS server', () => {
  let client: NatsConnection;
  let writers: NatsConnection;
  let inbox: ReplyInbox;
  let prefix: string;
  const keys = new ServiceKeyring(testServiceKeys());
  const text = (data: Uint8Array) => Buffer.from(data).toString('utf8');

  /** A service answering on `pattern` in `realm` with its own name. */
  const serve = async (pattern: string, realm: string) => {
    writers.subscribe(subjectOf(pattern, prefix, realm), { callback: (_e, msg) => msg.respond(Buffer.from(JSON.stringify({ response: `${realm}:${text(msg.data)}` }))) });
    await writers.flush();
  };
  const send = (routings: RealmRoutings, pattern: string, realm: string, body: string) =>
    routings.for(pattern, realm).deliver(pattern, 2000, (subject, remainingMs) => inbox.requestAlone(subject, Buffer.from(body), remainingMs));

  beforeEach(async () => {
    client = await connect({ servers: testNatsUrl() });
    writers = await connect({ servers: testNatsUrl() });
    prefix = testNatsPrefix('realm_routing');
    inbox = new ReplyInbox(client, (subject, data) => keys.signedHeaders('gateway', subject, data), 20);
  });

  afterEach(async () => {
    inbox.close();
    await client.close();
    await writers.close();
  });

  it("sends ledger requests to the realm they are for, and every other pattern to the gateway's own realm", async () => {
    const routings = new RealmRoutings(client, prefix, 'default', keys);
    await serve(PATTERNS.ledgerCommands, 'blue');
    await serve(PATTERNS.ledgerCommands, 'default');
    await serve(PATTERNS.achievementsCommands, 'default');
    expect((await send(routings, PATTERNS.ledgerCommands, 'blue', 'a')).response).toBe('blue:a');
    expect((await send(routings, PATTERNS.ledgerCommands, 'default', 'b')).response).toBe('default:b');
    expect((await send(routings, PATTERNS.achievementsCommands, 'blue', 'c')).response).toBe('default:c');
    expect(routings.size).toBe(2); // blue and default: achievements shared the default realm's
    routings.close();
    expect(routings.size).toBe(0);
  });

  it('makes a routing on first use and keeps at most its capacity, forgetting the least recently used', async () => {
    const routings = new RealmRoutings(client, prefix, 'default', keys, 2);
    const a = routings.for(PATTERNS.ledgerCommands, 'a');
    expect(routings.for(PATTERNS.ledgerQueries, 'a')).toBe(a); // one per realm, whatever the pattern
    const b = routings.for(PATTERNS.ledgerCommands, 'b');
    routings.for(PATTERNS.ledgerCommands, 'a'); // a used last: b is the oldest now
    routings.for(PATTERNS.ledgerCommands, 'c');
    expect(routings.size).toBe(2);
    expect(routings.for(PATTERNS.ledgerCommands, 'a')).toBe(a);
    expect(routings.for(PATTERNS.ledgerCommands, 'b')).not.toBe(b); // made again
    routings.close();
  });

  it('answers a realm nobody writes for at once, as a missing writer (no responders)', async () => {
    const routings = new RealmRoutings(client, prefix, 'default', keys);
    const started = Date.now();
    await expect(send(routings, PATTERNS.ledgerCommands, 'nobody', 'x')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
    routings.close();
  });
});
