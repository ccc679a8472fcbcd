/**
 * Value rules, each defined once: the gateway's DTOs validate with them, each service's decide()
 * checks them again (a command can reach a service over NATS without the gateway), and the
 * property tests hold everything decide() produces to them.
 */
export * from './id';
export * from './json';
export * from './text';
export * from './time';
