/**
 * The progress `coffer rebuild` shows on stderr. On a terminal, one bar redrawn in place (each
 * percent once); anywhere else (a pipe, a CI log, `2> file`) a carriage return does not go back,
 * it only glues every frame into one long line, so each tenth of the way is a line of its own.
 * Either way the start (0%) and the end (100%) are shown, and the steps after the replay
 * (indexing, the swap) are lines of their own.
 */
import type { RebuildPhase } from '../read-models/rebuild-verify-status';

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

const WIDTH = 30;

export class RebuildProgress {
  private readonly started: number;
  /** The last percent (terminal) or tenth (lines) shown; -1: nothing yet. */
  private shown = -1;
  /** A bar is on the terminal's current line: the next line starts on a new one. */
  private open = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly clock: () => number = Date.now,
  ) {
    this.started = clock();
  }

  readonly update = (done: number, total: number): void => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const percent = Math.floor(ratio * 100);
    const step = this.out.isTTY ? percent : Math.floor(percent / 10);
    // The first frame (0%) and the last (100%) always differ from what was shown before; in
    // between, each percent (tenth) once.
    if (step === this.shown) return;
    this.shown = step;
    const filled = Math.round(ratio * WIDTH);
    const seconds = Math.max((this.clock() - this.started) / 1000, 0.001);
    const frame = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(percent).padStart(3)}% ${done}/${total} events, ${Math.round(done / seconds)} events/s`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[K${frame}`);
      this.open = true;
    } else {
      this.out.write(`rebuild ${frame}\n`);
    }
  };

  readonly phase = (step: RebuildPhase): void => {
    this.endLine();
    this.out.write(`rebuild: ${step}\n`);
  };

  /** Ends the bar's line (the summary goes to stdout after it). */
  finish(): void {
    this.endLine();
  }

  private endLine(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
  }
}
