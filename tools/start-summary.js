// The block `npm start` prints once everything is up: where the API, its documents, the metrics and
// the console are, and the admin token, which otherwise scrolls away among a hundred start-up
// lines. Plain JS, for tools/start.js; types in start-summary.d.ts.
'use strict';

/** The line the gateway prints when it generates the admin token (services/gateway/src/auth/admin-token.ts). */
const ADMIN_TOKEN_LINE = /Coffer admin token \(shown once, keep it safe\): (\S+)/;

const RESET = 'npm run coffer -- admin-token reset';

/**
 * @param options.port the gateway's port
 * @param options.adminToken the token the gateway generated at this start (first start on this database), if any
 * @param options.adminTokenFromEnv COFFER_ADMIN_TOKEN is set: the gateway uses it
 * @param options.backendMetrics [service, port] of the backends' own /metrics
 */
function summary({ port, adminToken, adminTokenFromEnv, backendMetrics = [] }) {
  const base = `http://localhost:${port}`;
  const token = adminTokenFromEnv
    ? ['the COFFER_ADMIN_TOKEN you set']
    : adminToken
      ? [adminToken, 'generated at this first start and shown only now: keep it safe.', `Lost? ${RESET} makes a new one.`]
      : ['the one printed at the first start on this database still holds.', `Lost? ${RESET} prints a new one (the old one stops working).`];
  const rule = '='.repeat(72);
  const lines = [
    '',
    rule,
    'Coffer is up',
    `  API          ${base}`,
    `  Docs         ${base}/docs`,
    `  Metrics      ${base}/metrics`,
    ...backendMetrics.map(([service, metricsPort]) => `    ${service.padEnd(13)}http://localhost:${metricsPort}/metrics`),
    `  Console      ${base}/console`,
    `  Admin token  ${token[0]}`,
    ...token.slice(1).map((line) => `               ${line}`),
    'Ctrl-C stops everything.',
    rule,
  ];
  return lines.join('\n');
}

module.exports = { summary, ADMIN_TOKEN_LINE, RESET_COMMAND: RESET };
