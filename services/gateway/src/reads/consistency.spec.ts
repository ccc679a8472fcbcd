import { ApiError } from '../http/api-error';
import { ReadConsistency } from './consistency';
import type { ReadModels } from './read-models';

/** Where a read was answered from, given where the read models stand and whether the ledger answers. */
describe('ReadConsistency: read models when they include the write, the ledger at once when they do not', () => {
  let projected: bigint;
  let catchesUp: boolean;
  let ledgerUp: boolean;
  let waited: bigint[];
  let consistency: ReadConsistency;

  beforeEach(() => {
    [projected, catchesUp, ledgerUp, waited] = [-1n, true, true, []];
    const reads = {
      includes: (position: bigint) => projected >= position,
      waitFor: async (position: bigint) => {
        if (projected >= position) return; // reached: no wait (as CheckpointWatcher.reached)
        waited.push(position);
        if (!catchesUp) throw new ApiError('UNAVAILABLE', 'the read models have not reached that position yet');
        projected = position;
      },
    } as unknown as ReadModels;
    consistency = new ReadConsistency(reads);
  });

  const answer = (query: { consistency?: 'strong'; min_position?: string } = {}) =>
    consistency.readOrStrong(
      'blackjack',
      query as never,
      async () => 'read models',
      async () => {
        if (!ledgerUp) throw new ApiError('UNAVAILABLE', 'the service did not answer in time');
        return 'ledger';
      },
    );

  it('reads the read models when the app wrote nothing here and asked for no position', async () => {
    expect(await answer()).toBe('read models');
    expect(waited).toEqual([]);
  });

  it("reads the read models when they include the app's last write", async () => {
    consistency.wrote('blackjack', '41');
    projected = 41n;
    expect(await answer()).toBe('read models');
    expect(waited).toEqual([]);
  });

  it("asks the ledger at once, without waiting, when they do not include the app's last write or the asked position", async () => {
    consistency.wrote('blackjack', '42');
    projected = 41n;
    expect(await answer()).toBe('ledger');
    consistency.wrote('blackjack', '1'); // older than the last: changes nothing
    expect(await answer()).toBe('ledger');
    projected = 42n;
    expect(await answer({ min_position: '43' })).toBe('ledger');
    expect(waited).toEqual([]);
  });

  it('waits for the read models when the ledger cannot answer (a takeover), and says UNAVAILABLE when neither can', async () => {
    consistency.wrote('blackjack', '42');
    ledgerUp = false;
    expect(await answer()).toBe('read models');
    expect(waited).toEqual([42n]);
    consistency.wrote('blackjack', '50');
    catchesUp = false;
    await expect(answer()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('asks the ledger for a strong read whatever the read models hold', async () => {
    projected = 100n;
    expect(await answer({ consistency: 'strong' })).toBe('ledger');
  });
});
