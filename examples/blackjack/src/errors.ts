/**
 * The game's own refusals, in Coffer's error shape (`{error: {code, message, details}}`) so a
 * player's client reads one format whether the table or the economy said no.
 */
export class GameError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'GameError';
  }
}

export const invalid = (message: string, details?: Record<string, unknown>) => new GameError(400, 'VALIDATION_FAILED', message, details);
