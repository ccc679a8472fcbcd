// '@coffer/contracts/http': the REST API's request and response classes, each concept's from its
// dto.ts, and the field decorators they share. Only the gateway loads this entry (class-validator,
// @nestjs/swagger); '@coffer/contracts' never imports it.
export * from './fields';
export * from './validators';
export * from './read-query';
export * from './paging.dto';
export * from './responses';
export * from '../app/dto';
export * from '../finance-event/dto';
export * from '../finance-transaction/dto';
export * from '../external-account/dto';
export * from '../withdrawal/dto';
export * from '../deposit/dto';
export * from '../balance/dto';
export * from '../leaderboard/dto';
export * from '../achievement/dto';
export * from '../allowance/dto';
export * from '../webhook/dto';
export * from '../operators/dto';
