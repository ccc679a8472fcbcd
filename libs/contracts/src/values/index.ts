/**
 * Values, each defined once in its own file: its type, its parse/is function, its pattern, its
 * message and its OpenAPI schema. The gateway's DTOs and path parameters validate with them,
 * each service's decide() checks them again (a command can reach a service over NATS without
 * the gateway), and the property tests hold everything decide() produces to them.
 */
export * from './id';
export * from './app-id';
export * from './realm';
export * from './positive-id';
export * from './user-id';
export * from './amount';
export * from './currency';
export * from './account-id';
export * from './achievement-key';
export * from './correlation-id';
export * from './cursor';
export * from './name';
export * from './description';
export * from './json';
export * from './text';
export * from './time';
export * from './app-scope';
export * from './external-account';
export * from './verification-status';
