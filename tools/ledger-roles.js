// What a ledger is, read from its log: it logs each change of role with one of these messages
// (services/ledger/src/writer: ledger-writer.ts, writer-role.ts). One definition for every harness
// that watches ledgers as processes (chaos/supervisor.js, the gateway's process tests): a changed
// message then breaks them all at once, loudly (no ledger ever seems to lead), never one of them
// silently. Plain JS, for chaos/; types in ledger-roles.d.ts.
'use strict';

const LEADING_MESSAGE = 'leading the ledger';
const STANDBY_MESSAGE = 'standby: following the stream, waiting for the writer lease';
const LOST_ROLE_MESSAGE = 'lost the writer role';

const ROLE_OF_MESSAGE = new Map([
  [LEADING_MESSAGE, 'active'],
  [STANDBY_MESSAGE, 'standby'],
  [LOST_ROLE_MESSAGE, 'standby'],
]);

/** The role ('active' or 'standby') a ledger's log message announces, or null for any other message. */
function ledgerRoleOf(msg) {
  return ROLE_OF_MESSAGE.get(msg) ?? null;
}

module.exports = { ledgerRoleOf, LEADING_MESSAGE, STANDBY_MESSAGE, LOST_ROLE_MESSAGE };
