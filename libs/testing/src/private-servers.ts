/**
 * Servers of a test's own, for the tests that stop, kill or restart them: the shared PostgreSQL
 * and NATS must never be touched. One implementation for the tests, `npm start` and the chaos
 * harness (tools/private-servers.js, plain JS so it runs before any build). Each server lives in
 * a temporary folder that stop() removes, even when its start failed: create it, assign it, then
 * start it, and stop it in the teardown.
 */
export { PrivateNats, PrivatePostgres, type PrivateNatsOptions, type PrivatePostgresOptions } from '../../../tools/private-servers';
