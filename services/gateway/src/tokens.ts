/** Injection tokens of the gateway. */
export const DB_POOL = Symbol('DbPool');
