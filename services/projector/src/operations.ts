/**
 * What the gateway's operations routes (POST /admin/operations/verify and /rebuild, GET
 * /admin/operations/status) run: the CLI's own functions, so `coffer verify` and the console
 * can never disagree. Imported as `@coffer/projector/dist/operations` (the package's main starts
 * the service).
 */
export { rebuild, status, verify, type Progress, type ProjectionStatus, type VerifyReport } from './read-models/rebuild-verify-status';
export { Generations } from './read-models/generations';
export { OPERATIONS_STATEMENT_TIMEOUT_MS } from './cli/coffer';
