/** Nest injection tokens shared by the services. */
export const CONFIG = Symbol('CofferConfig');
export const EVENT_STORE = Symbol('EventStore');
export const LOGGER = Symbol('JsonLogger');
export const NATS_CLIENT = Symbol('NatsClient');
