/**
 * tools/feed-consumer.js, the README's example analytics consumer, run as a child process against
 * a real feed (a store of the test's own, the projector's AnalyticsFeed, JetStream under the
 * test's own prefix) on the NATS the tests use (2.9 here, Debian's): it prints the events from the
 * start, live ones, one subject with --filter, only new ones with --new, and stops on SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Pool } from 'pg';
import { EVENT_SCHEMA_VERSIONS } from '@coffer/contracts';
import { PostgresEventStore, type NewEvent } from '@coffer/event-store';
import { JsonLogger } from '@coffer/platform';
import { createTestDatabase, dropTestStreams, eventually, testNatsPrefix, testNatsUrl, type TestDatabase } from '@coffer/testing';
import { AnalyticsFeed } from '../src/feed/analytics-feed';

jest.setTimeout(60000);

const TOOL = resolve(__dirname, '../../../tools/feed-consumer.js');
const logger = new JsonLogger('projector', 'error');

/** An event of the current catalog, at its current version. */
function event(type: keyof typeof EVENT_SCHEMA_VERSIONS, data: Record<string, unknown>): NewEvent {
  const metadata = { schema_version: EVENT_SCHEMA_VERSIONS[type], correlation_id: randomUUID(), causation_id: null, app_id: null };
  return { id: randomUUID(), type, data, metadata };
}

const opened = (eventId: number) =>
  event('EventOpened', { event_id: eventId, app_id: 'app_1', description: null, opened_at: '2026-11-30T12:00:00.000Z', expires_at: '2026-11-30T12:01:00.000Z' });
const posted = (transactionId: number) =>
  event('TransactionPosted', {
    transaction_id: transactionId,
    event_id: null,
    app_id: 'app_1',
    type: 'grant',
    user_id: 'alice',
    debit_account: 'treasury',
    credit_account: 'user:alice',
    amount: '5',
    currency: 'coins',
    description: null,
    created_at: '2026-11-30T12:00:00.000Z',
    posted_at: '2026-11-30T12:00:00.000Z',
  });

/** A line of the tool's output: `<global_position> <subject> <data as JSON>`. */
function parse(line: string): { position: bigint; subject: string; data: Record<string, unknown> } {
  const [position, subject, ...data] = line.split(' ');
  return { position: BigInt(position), subject, data: JSON.parse(data.join(' ')) };
}

/** One run of the tool: its output lines as they come, and a clean stop. */
class ToolRun {
  private readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  /** Its exit code once it exits. */
  readonly exited: Promise<number | null>;

  constructor(prefix: string, args: string[]) {
    this.child = spawn(process.execPath, [TOOL, ...args], {
      env: { PATH: process.env.PATH, NATS_URL: testNatsUrl(), COFFER_NATS_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop()!;
      this.lines.push(...complete);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((done) => this.child.on('exit', (code) => done(code)));
  }

  listening(): Promise<void> {
    return eventually(() => this.stderr.includes('listening on'), `the tool to listen (stderr: ${this.stderr})`);
  }

  /** Ctrl-C: the tool must exit 0, soon. */
  async interrupt(): Promise<number | null> {
    this.child.kill('SIGINT');
    const timeout = new Promise<'hung'>((done) => setTimeout(() => done('hung'), 5000).unref());
    const code = await Promise.race([this.exited, timeout]);
    if (code === 'hung') {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error('feed-consumer did not stop on SIGINT');
    }
    return code;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

describe('tools/feed-consumer.js against a real feed', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let pool: Pool;
  let prefix: string;
  let feed: AnalyticsFeed;
  const runs: ToolRun[] = [];
  const run = (args: string[] = []) => {
    const tool = new ToolRun(prefix, args);
    runs.push(tool);
    return tool;
  };

  beforeAll(async () => {
    database = await createTestDatabase('feed_tool');
    store = await PostgresEventStore.connect({ connectionString: database.url });
    pool = database.pool();
    prefix = testNatsPrefix('feed_tool');
    await store.append('ledger-default', [opened(1), posted(1), event('ApiKeyIssued', { app_id: 'app_1', key_id: 'k1', key_hash: 'f'.repeat(64), issued_at: '2026-11-30T12:00:00.000Z' })]);
    feed = new AnalyticsFeed(store, { natsUrl: testNatsUrl() }, prefix, logger, pool);
    feed.start();
    await eventually(async () => feed.published === 2, 'the first events on the feed');
  });

  afterEach(() => {
    for (const tool of runs.splice(0)) tool.kill(); // a failed test leaves no process behind
  });

  afterAll(async () => {
    await feed?.stop();
    await store?.close();
    await pool?.end();
    await database?.drop();
    await dropTestStreams(prefix);
  });

  it('prints every event from the start, then live ones, and exits 0 on SIGINT', async () => {
    const tool = run();
    await tool.listening();
    await eventually(() => tool.lines.length >= 2, 'the stored events');
    const [first, second] = tool.lines.map(parse);
    expect([first, second]).toEqual([
      { position: expect.any(BigInt), subject: `${prefix}.events.ledger.EventOpened`, data: opened(1).data },
      { position: expect.any(BigInt), subject: `${prefix}.events.ledger.TransactionPosted`, data: posted(1).data },
    ]);
    expect(second.position).toBeGreaterThan(first.position); // global_position, in order
    await store.append('ledger-default', [posted(2)]);
    await eventually(() => tool.lines.length === 3, 'the live event');
    expect(parse(tool.lines[2])).toMatchObject({ subject: `${prefix}.events.ledger.TransactionPosted`, data: { transaction_id: 2 } });
    expect(await tool.interrupt()).toBe(0);
    expect(tool.lines.join('\n')).not.toMatch(/ApiKeyIssued|key_hash/); // internal: never on the feed
  });

  it('prints one subject with --filter', async () => {
    const tool = run(['--filter', `${prefix}.events.ledger.TransactionPosted`]);
    await tool.listening();
    await eventually(() => tool.lines.length >= 2, 'the posted transactions');
    await store.append('ledger-default', [opened(2), posted(3)]);
    await eventually(() => tool.lines.length >= 3, 'the live posted transaction');
    expect(await tool.interrupt()).toBe(0);
    expect(tool.lines.map(parse).map(({ subject, data }) => [subject, data.transaction_id])).toEqual(
      [1, 2, 3].map((id) => [`${prefix}.events.ledger.TransactionPosted`, id]),
    );
  });

  it('prints only what is published after it started with --new (also with --filter)', async () => {
    const all = run(['--new']);
    const filtered = run(['--new', '--filter', `${prefix}.events.ledger.EventOpened`]);
    await Promise.all([all.listening(), filtered.listening()]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing old arrives late
    expect([all.lines, filtered.lines]).toEqual([[], []]);
    await store.append('ledger-default', [opened(3), posted(4)]);
    await eventually(() => all.lines.length === 2 && filtered.lines.length === 1, 'the new events');
    expect(all.lines.map((line) => parse(line).subject)).toEqual([`${prefix}.events.ledger.EventOpened`, `${prefix}.events.ledger.TransactionPosted`]);
    expect(parse(filtered.lines[0])).toMatchObject({ subject: `${prefix}.events.ledger.EventOpened`, data: { event_id: 3 } });
    expect(await all.interrupt()).toBe(0);
    expect(await filtered.interrupt()).toBe(0);
  });

  it('refuses an unknown argument with its usage', async () => {
    const tool = run(['--follow']);
    expect(await tool.exited).toBe(2);
    expect(tool.stderr).toMatch(/unknown argument --follow\nusage:/);
  });
});
