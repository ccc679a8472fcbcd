// Types of start-summary.js (plain JS, so tools/start.js runs before any build).
export declare const ADMIN_TOKEN_LINE: RegExp;
export declare const RESET_COMMAND: string;
export declare function summary(options: {
  port: string | number;
  adminToken?: string;
  adminTokenFromEnv: boolean;
  backendMetrics?: Array<[string, number | string]>;
}): string;
