// Types of ledger-roles.js.

export declare const LEADING_MESSAGE: string;
export declare const STANDBY_MESSAGE: string;
export declare const LOST_ROLE_MESSAGE: string;

/** The role a ledger's log message announces, or null for any other message. */
export declare function ledgerRoleOf(msg: string): 'active' | 'standby' | null;
