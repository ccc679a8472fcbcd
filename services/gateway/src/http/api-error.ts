import { ERROR_STATUS, type ErrorCode } from '@coffer/contracts';

/** A refusal with a stable code (API.md, "Errors"); the error filter turns it into the JSON body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}
