/**
 * The document's `info.description`: what a developer reads first on /docs. It says what the
 * routes' own descriptions cannot: how to authenticate, how a finance event lives, how to retry,
 * how to read your own writes, and how errors look. Kept true with docs/API.md.
 */
import { ERROR_STATUS } from '@coffer/contracts';

const errorCodeRows = Object.entries(ERROR_STATUS)
  .map(([code, status]) => `| ${status} | \`${code}\` |`)
  .join('\n');

export const API_INTRODUCTION = `
One shared economy for a community of games and apps: wallets, finance events (a game's round)
with heartbeats and automatic refunds, transfers, history, leaderboards, achievements and badges.
The full contract is \`docs/API.md\` in the repository; the TypeScript SDK is \`@coffer/sdk\`.

## Authentication
Every route but \`/health\`, \`/ready\`, \`/metrics\` and \`/docs\` needs
\`Authorization: Bearer <token>\`, with one of two kinds of opaque token (not JWTs: nothing to
decode, only the gateway can tell whether one is good):

- **an app API key** (\`ck_\` and 43 more characters), for every route outside \`/admin\`. \`POST
  /admin/apps\` answers an app's first key, shown once; keys are stored only as hashes and a
  revoked key is refused at once.
- **the admin token**, for \`/admin/*\` only: \`COFFER_ADMIN_TOKEN\`, or the one generated and
  printed at the first start.

A 401 says whether the header was missing, malformed or not a key, or whether the key is unknown
or revoked (one answer for both), and carries \`WWW-Authenticate: Bearer realm="coffer"\`
(with \`error="invalid_token"\` when a token was sent). Repeated failures from one address are
answered 429 \`RATE_LIMITED\`.

## Ids: send them as strings
\`user_id\` is an opaque id of 1-64 characters from \`[A-Za-z0-9_.:-]\`. A JSON integer is
accepted and read exactly even above 2^53 (Discord snowflakes), **but JavaScript cannot hold
one**: \`JSON.stringify({ user_id: 169015299834642432 })\` sends \`169015299834642430\`, someone
else's id. From JavaScript, send every id as a string (\`"169015299834642432"\`) or use the SDK,
which takes bigints. Responses always give ids and amounts as strings.

## A finance event's life
1. \`POST /finance/event\` opens one (a round): \`{event_id, status: "open", expires_at}\`.
2. Post its transactions with \`event_id\`: they are **pending** (debits hold funds at once,
   credits are not spendable yet).
3. \`POST /finance/event/{id}/ping\` keeps it open: an event with no ping for
   \`COFFER_EVENT_TIMEOUT_SECONDS\` (60 s by default) expires by itself, and every pending
   transaction is voided (players get back what the round took and keep nothing it gave). Ping
   about every third of the timeout (every 20 s by default), so one lost ping is not fatal;
   \`expires_at\` says when it would expire.
4. \`POST /finance/event/{id}/close\` posts every pending transaction. After close or expiry, a
   ping, close or post is 409 \`EVENT_NOT_OPEN\`.

A transaction without \`event_id\` is posted at once.

## Retries and idempotency
Every POST takes an \`Idempotency-Key\` header (1-255 printable ASCII characters, scoped to the
app). The same key with the same body answers the first response again (with
\`Idempotent-Replayed: true\`) and changes nothing; the same key with another body is 422
\`IDEMPOTENCY_KEY_REUSED\`. After a 503 \`UNAVAILABLE\`, a 429 or a lost connection the outcome is
unknown: send the same request again **with the same key** (honour \`Retry-After\`).

## Reading your own writes
Reads come from read models that follow the ledger within milliseconds. Every write answers
\`X-Coffer-Position\`; pass it as \`?min_position=\` to a read and the read waits until it includes
that write (503 if it cannot within its deadline). Balances and finance events also take
\`?consistency=strong\`, answered by the ledger itself. A read after this app's own write through
the same gateway already waits for it.

## Errors
Every refusal is \`{"error": {"code", "message", "details"}}\`: branch on \`code\`, which is stable;
\`message\` is for people; \`details\` names what was refused (the fields of a
\`VALIDATION_FAILED\`, the \`available\` balance of an \`INSUFFICIENT_FUNDS\`, the limit of a
\`LIMIT_EXCEEDED\`, …). Nothing a client sends is ever answered 500.

| status | code |
|---|---|
${errorCodeRows}
`.trim();
