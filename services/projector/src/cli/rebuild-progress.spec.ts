import { rebuildPageSize } from '../read-models/rebuild-verify-status';
import { RebuildProgress } from './rebuild-progress';

function output(isTTY: boolean) {
  const written: string[] = [];
  return { out: { isTTY, write: (text: string) => written.push(text) }, written };
}

describe('RebuildProgress', () => {
  it('off a terminal: a line for the start, for each tenth reached, for each step and for the end', () => {
    const { out, written } = output(false);
    const shown = new RebuildProgress(out, () => 0);
    shown.update(0, 250);
    for (let done = 13; done <= 250; done += 13) shown.update(Math.min(done, 250), 250);
    shown.update(250, 250);
    shown.phase('indexing');
    shown.phase('catching up and swapping');
    shown.update(251, 251); // the catch-up's events: still 100%, not shown twice
    shown.finish();
    const percents = written.filter((line) => line.startsWith('rebuild [')).map((line) => line.match(/(\d+)% /)![1]);
    expect(percents).toEqual(['0', '10', '20', '31', '41', '52', '62', '72', '83', '93', '100']);
    expect(written.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
    expect(written.slice(-2)).toEqual(['rebuild: indexing\n', 'rebuild: catching up and swapping\n']);
  });

  it('on a terminal: the bar redrawn in place once per percent, then a newline before the next line', () => {
    const { out, written } = output(true);
    const shown = new RebuildProgress(out, () => 0);
    shown.update(0, 3);
    shown.update(1, 3);
    shown.update(1, 3);
    shown.update(3, 3);
    shown.phase('indexing');
    shown.finish();
    expect(written.map((text) => text.replace(/\].*$/s, ']'))).toEqual([
      `\r\x1b[K[${'.'.repeat(30)}]`,
      `\r\x1b[K[${'#'.repeat(10)}${'.'.repeat(20)}]`,
      `\r\x1b[K[${'#'.repeat(30)}]`,
      '\n',
      'rebuild: indexing\n',
    ]);
  });

  it('an empty store shows its one frame, 0 of 0 events at 100%', () => {
    const { out, written } = output(false);
    new RebuildProgress(out, () => 0).update(0, 0);
    expect(written).toEqual([`rebuild [${'#'.repeat(30)}] 100% 0/0 events, 0 events/s\n`]);
  });
});

describe('rebuildPageSize', () => {
  it('is a twentieth of the store, at least 100 and at most the replay page of 20000', () => {
    expect(rebuildPageSize(0)).toBe(100);
    expect(rebuildPageSize(2000)).toBe(100);
    expect(rebuildPageSize(2001)).toBe(101);
    expect(rebuildPageSize(400_000)).toBe(20000);
    expect(rebuildPageSize(400_001)).toBe(20000);
    expect(rebuildPageSize(10_000_000)).toBe(20000);
  });
});
