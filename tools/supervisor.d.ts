// Types of supervisor.js (plain JS, so tools/start.js runs before any build).
import type { ChildProcess } from 'node:child_process';

export interface SupervisorOptions {
  /** Restarts allowed within `windowMs` before giving up (default 5). */
  maxRestarts?: number;
  /** Default 60 000 ms. */
  windowMs?: number;
  /** Pause before the first restart in the window, doubled for each further one (default 500 ms). */
  backoffMs?: number;
  /** Default 10 000 ms. */
  maxBackoffMs?: number;
  /** Exit codes given up on at once (default [78], EX_CONFIG: a refused configuration). */
  finalCodes?: number[];
  /** One line for the operator. */
  log?: (line: string) => void;
  /** Called once, when a service exceeded its restarts. */
  onGiveUp?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

export declare class Supervisor {
  constructor(options?: SupervisorOptions);
  add(name: string, spawnChild: () => ChildProcess): ChildProcess;
  stop(): void;
  children(): Array<[string, ChildProcess]>;
}

export declare function howItEnded(code: number | null, signal: NodeJS.Signals | null): string;
export declare const SUPERVISOR_DEFAULTS: Required<Pick<SupervisorOptions, 'maxRestarts' | 'windowMs' | 'backoffMs' | 'maxBackoffMs' | 'finalCodes'>>;
