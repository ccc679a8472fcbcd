// Types of service-environment.js.

/** Taken from the caller's environment when set (and every LC_* variable). */
export declare const MACHINE_VARIABLES: readonly string[];

/** The machine's variables from `parent` (default process.env), then `own` (the harness's settings) over them. */
export declare function serviceEnvironment(own: Record<string, string>, parent?: NodeJS.ProcessEnv): Record<string, string>;
