import { ValidationPipe } from '@nestjs/common';
import { validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';

/**
 * Nest's ValidationPipe with class-validator's synchronous validator. Every rule of our DTOs is
 * synchronous, and the asynchronous path builds a promise per property and constraint: a fifth
 * of the gateway's CPU under load, much of it garbage collection. An async rule added to a DTO
 * would be skipped here (class-validator ignores it in validateSync): the gateway's table of
 * hostile requests (test/hostile.e2e.spec.ts) goes through this pipe and would show it.
 */
export class SyncValidationPipe extends ValidationPipe {
  protected override validate(object: object, validatorOptions?: ValidatorOptions): ValidationError[] {
    return validateSync(object, validatorOptions);
  }
}
