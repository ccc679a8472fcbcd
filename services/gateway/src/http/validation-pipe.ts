import type { ValidationPipeOptions } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { ApiError } from './api-error';
import { SyncValidationPipe } from './sync-validation.pipe';
import { CompiledValidationPipe } from './validation/compiled-validation.pipe';

/**
 * The gateway's one set of validation options: unknown properties refused, bodies made DTO
 * instances, and every refusal a 400 VALIDATION_FAILED naming each property's messages.
 */
export const VALIDATION_PIPE_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors: ValidationError[]) =>
    new ApiError('VALIDATION_FAILED', 'the request is not valid', {
      fields: Object.fromEntries(errors.map((error) => [error.property, Object.values(error.constraints ?? { invalid: 'is not valid' })])),
    }),
};

/** The global pipe: rules compiled once per DTO class (validation/compiled-validation.pipe.ts). */
export function gatewayValidationPipe(options: ValidationPipeOptions = VALIDATION_PIPE_OPTIONS): CompiledValidationPipe {
  return new CompiledValidationPipe(options);
}

/** class-transformer + class-validator on every request: the reference the compiled pipe is tested against. */
export function referenceValidationPipe(options: ValidationPipeOptions = VALIDATION_PIPE_OPTIONS): SyncValidationPipe {
  return new SyncValidationPipe(options);
}
