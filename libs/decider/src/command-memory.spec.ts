import { CommandMemory, MAX_REMEMBERED_COMMANDS, restoreRows, toRow, type CommandMetadata } from './command-memory';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const noTimeInData = () => undefined;
const latest = (_previous: string, next: string) => next;

/** Folds a keyed command decided at T0 + i ms (a window of an hour) into the memory. */
function fold(memory: CommandMemory<string>, i: number): void {
  const metadata: CommandMetadata = {
    command_id: `c${i}`,
    request_hash: 'h',
    decided_at_epoch_ms: T0 + i,
    remembered_until_epoch_ms: T0 + i + 3_600_000,
  };
  memory.remember(metadata, memory.advance(metadata, null, noTimeInData), String(i), `reply ${i}`);
}

describe('CommandMemory', () => {
  it('places a command decided before its append where its events landed, once', () => {
    const memory = new CommandMemory<string>(3_600_000, latest);
    const metadata: CommandMetadata = { command_id: 'c1', request_hash: 'h', decided_at_epoch_ms: T0, remembered_until_epoch_ms: T0 + 60_000 };
    memory.remember(metadata, memory.advance(metadata, null, noTimeInData), undefined, 'reply');
    expect(memory.recall('c1', true, T0)?.position).toBe('');
    memory.placeAt('c1', true, '42');
    memory.placeAt('c1', true, '43'); // a later batch never moves it
    memory.placeAt('c1', false, '44'); // nor does a command of the other memory with the same id
    expect(memory.recall('c1', true, T0)?.position).toBe('42');
  });

  it(`holds ${MAX_REMEMBERED_COMMANDS} commands, and forgets the oldest first beyond that, the same on every fold`, () => {
    const memory = new CommandMemory<string>(72 * 3_600_000, latest);
    for (let i = 0; i < MAX_REMEMBERED_COMMANDS; i++) fold(memory, i);
    expect(memory.keyed.size).toBe(MAX_REMEMBERED_COMMANDS); // at the cap: every one kept
    expect(memory.recall('c0', true, T0 + MAX_REMEMBERED_COMMANDS)).toMatchObject({ reply: 'reply 0' });

    // A restart in the middle (its snapshot's rows, in order) forgets exactly what the live memory does.
    const restarted = new CommandMemory<string>(60_000, latest);
    restarted.clockMs = memory.clockMs;
    restoreRows(restarted, [...memory.keyed].map(([id, remembered]) => toRow(id, remembered)));

    fold(memory, MAX_REMEMBERED_COMMANDS); // one beyond
    fold(restarted, MAX_REMEMBERED_COMMANDS);
    expect(memory.keyed.size).toBe(MAX_REMEMBERED_COMMANDS);
    expect(memory.recall('c0', true, T0 + MAX_REMEMBERED_COMMANDS)).toBeUndefined(); // evicted: a retry is decided afresh
    expect(memory.recall('c1', true, T0 + MAX_REMEMBERED_COMMANDS)).toMatchObject({ reply: 'reply 1' });
    expect([...restarted.keyed.keys()]).toEqual([...memory.keyed.keys()]);
  });

  it('counts a command without a key apart from the keyed ones, and keeps it until its deadline', () => {
    const memory = new CommandMemory<string>(60_000, latest, 2);
    for (let i = 0; i < 3; i++) fold(memory, i);
    const plain: CommandMetadata = { command_id: 'plain', request_hash: null, decided_at_epoch_ms: T0 + 10, deadline_epoch_ms: T0 + 5_010 };
    memory.remember(plain, memory.advance(plain, null, noTimeInData), '9', 'plain reply');
    expect([...memory.keyed.keys()]).toEqual(['c1', 'c2']);
    expect(memory.recall('plain', false, T0 + 5_009)).toMatchObject({ reply: 'plain reply' });
    expect(memory.recall('plain', false, T0 + 5_010)).toBeUndefined();
  });
});
