// Types of private-servers.js (plain JS, so tools/ and chaos/ run before any build).

export declare const DB_OS_USER: string;

/** A TCP port free on loopback right now (bound, then released). */
export declare function freePort(): Promise<number>;

/** initdb and pg_ctl from one directory (of the cluster's major version when dataDir holds one), or null. */
export declare function findPostgresBinaries(dataDir?: string): { initdb: string; pgCtl: string } | null;

/** The nats-server binary, or null. */
export declare function findNatsServer(): string | null;

export interface PrivatePostgresOptions {
  /** Prefix of the temporary folder (default coffer-pg). */
  label?: string;
  /** A cluster folder to keep; default: a temporary folder's, removed by stop(). */
  dataDir?: string;
  logFile?: string;
  socketDir?: string;
  /** Where it listens (default 127.0.0.1). */
  host?: string;
  /** Default: a free port, chosen at the first start. */
  port?: number;
  /** Server settings, each passed as -c name=value. */
  settings?: Record<string, string | number>;
}

/** A PostgreSQL cluster of our own (initdb at the first start, trust auth). */
export declare class PrivatePostgres {
  constructor(options?: PrivatePostgresOptions);
  readonly dataDir: string;
  readonly logFile: string;
  readonly host: string;
  /** Null until the first start chose one. */
  readonly port: number | null;
  /** initdb ran for this object. */
  readonly created: boolean;
  /** The URL of `database` on this cluster, as `user` (its superuser by default). */
  url(database: string, user?: string): string;
  /** Starts the server (the first time: initdb when needed); resolves with the moment it first answered. */
  start(): Promise<number>;
  answers(): Promise<boolean>;
  /** True when pg_ctl says a server runs from this data folder. */
  isRunning(): Promise<boolean>;
  /** `pg_ctl stop -m immediate`: every connection cut at once, as by a crash. */
  stopImmediately(): Promise<void>;
  /** Stops it for good and removes a temporary folder (waits for a start in progress). */
  stop(): Promise<void>;
  stopNowSync(): void;
}

export interface PrivateNatsOptions {
  /** Prefix of the temporary folder (default coffer-nats). */
  label?: string;
  /** A JetStream store to keep; default: a temporary folder's, removed by stop(). */
  storeDir?: string;
  logFile?: string;
  /** A nats.conf to run instead of command-line settings (it names the port: pass the same). */
  configFile?: string;
  host?: string;
  port?: number;
}

/** A nats-server of our own with JetStream. */
export declare class PrivateNats {
  constructor(options?: PrivateNatsOptions);
  readonly storeDir: string;
  readonly host: string;
  /** Null until the first start chose one. */
  readonly port: number | null;
  readonly url: string;
  readonly pid: number | null;
  /** Starts it (again: same port and store); resolves with the moment it first accepted a connection. */
  start(): Promise<number>;
  /** Sends the signal (default SIGTERM) and resolves once the process is gone; at once when it is not running. */
  halt(signal?: NodeJS.Signals): Promise<void>;
  /** kill -9; resolves once it is gone. */
  kill(): Promise<void>;
  /** Stops it for good and removes a temporary folder. */
  stop(): Promise<void>;
  stopNowSync(): void;
}
