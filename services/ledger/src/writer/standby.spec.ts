import { eventually } from '@coffer/testing';
import { WriterBench } from '../../test/writer-bench';

describe('LedgerWriter as a hot standby', () => {
  let bench: WriterBench;

  beforeEach(async () => {
    bench = await WriterBench.open('ledger_standby');
  });

  afterEach(async () => {
    await bench.close();
  });

  it('follows the stream, so taking over reads only what the tail had not delivered yet', async () => {
    const active = bench.writer();
    await active.lead();
    await bench.grant(active, 'alice', '5');
    const standby = bench.writer();
    standby.follow();
    for (let i = 0; i < 30; i++) await bench.grant(active, 'alice', '1');
    const head = await bench.head(active);
    await eventually(() => standby.revision === head, 'the standby to follow the stream');

    await standby.lead();
    expect(bench.logged('ledger state rebuilt')).toHaveLength(2); // the active's start and the standby's start, never again
    expect(bench.logged('leading the ledger').at(-1)).toMatchObject({ caught_up_events: 0 });
    expect(await bench.postedOf(standby, 'alice')).toBe('35');
  });

  it('fences the old writer: once the standby took over, its next append fails and it decides nothing more', async () => {
    const old = bench.writer();
    await old.lead();
    await bench.grant(old, 'bob', '7');
    const successor = bench.writer();
    successor.follow();
    await successor.lead();
    const fenced = new Promise<void>((resolve) => (old.onFenced = resolve));
    expect(await bench.grant(old, 'bob', '100')).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    await fenced;
    expect(await bench.grant(old, 'bob', '100')).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(await bench.postedOf(successor, 'bob')).toBe('7');
  });

  it('decides nothing once its lease may have lapsed, and appends nothing', async () => {
    let leaseValid = true;
    const active = bench.writer();
    await active.lead(() => leaseValid);
    await bench.grant(active, 'carol', '3');
    const before = (await bench.store.readStream(active.stream)).length;
    leaseValid = false;
    expect(await bench.grant(active, 'carol', '4')).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(await active.query({ type: 'GetBalance', user_id: 'carol' })).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect((await bench.store.readStream(active.stream)).length).toBe(before);
    expect(bench.logged('the writer lease may have lapsed: deciding nothing more')).toHaveLength(1);
  });

  it('rebuilds before following when its memory holds a batch the stream never took (it was fenced)', async () => {
    const old = bench.writer();
    await old.lead();
    await bench.grant(old, 'dave', '2');
    const successor = bench.writer();
    await successor.lead();
    await bench.grant(successor, 'dave', '40');
    await bench.grant(old, 'dave', '1000'); // decided in memory, refused by the store: fenced
    await old.stepDown();
    const rebuilt = bench.logged('ledger state rebuilt').length;
    old.follow();
    const head = await bench.head(old);
    await eventually(() => bench.logged('ledger state rebuilt').length > rebuilt && old.revision === head, 'the old writer to rebuild and follow');
    await successor.stepDown();
    await old.lead();
    expect(await bench.postedOf(old, 'dave')).toBe('42');
  });

  it('decides at the events\' time while its clock lags the writer it replaced, so what that writer remembers it remembers', async () => {
    const ahead = Date.now() + 60_000;
    const first = bench.writer({ clock: () => new Date(ahead) });
    await first.lead();
    const resent = { command_id: 'resent-after-takeover', deadline_epoch_ms: ahead + 5_000 };
    const original = await bench.grant(first, 'erin', '5', resent);
    await first.stepDown();
    const lagging = bench.writer(); // a minute behind: by its own clock the first writer's decisions lie ahead
    await lagging.lead();
    // Still remembered: the deadline is ahead of the decision time, the latest event time (not its clock).
    const firstAnswer = original as { ok: true; result: object };
    expect(await bench.grant(lagging, 'erin', '5', resent)).toEqual({ ok: true, result: { ...firstAnswer.result, replayed: true } });
    const events = await bench.store.readStream(lagging.stream);
    const decidedAt = events.map((event) => event.metadata.decided_at_epoch_ms as number);
    expect(decidedAt).toEqual([...decidedAt].sort((a, b) => a - b)); // never back
    expect(await bench.postedOf(lagging, 'erin')).toBe('5');
  });
});
