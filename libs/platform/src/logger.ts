import type { LoggerService } from '@nestjs/common';
import { LOG_LEVELS, type LogLevel } from './config';

/**
 * Structured logs: one JSON object per line on stdout, with the service name and the
 * correlation id of the request being handled, so one request can be followed across services.
 */
export class JsonLogger implements LoggerService {
  private readonly threshold: number;

  constructor(
    private readonly service: string,
    level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }

  /** Logs one event with fields: `logger.event('info', 'batch appended', { size: 12 })`. */
  event(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (LOG_LEVELS.indexOf(level) < this.threshold) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, service: this.service, msg };
    this.write(JSON.stringify({ ...line, ...fields }, bigintAsString));
  }

  private emit(level: LogLevel, message: unknown, rest: unknown[]): void {
    // Nest passes the context (class name) last, and for errors a stack before it.
    const fields: Record<string, unknown> = {};
    const context = rest.length && typeof rest[rest.length - 1] === 'string' ? rest.pop() : undefined;
    if (context) fields.context = context;
    if (rest.length && typeof rest[0] === 'string' && rest[0].includes('\n')) fields.stack = rest.shift();
    if (message instanceof Error) {
      fields.error = message.name;
      fields.stack = message.stack;
      message = message.message;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
      message = (message as { msg?: unknown }).msg ?? '';
    }
    this.event(level, String(message), fields);
  }
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
