/**
 * The fields of a command as it arrives: JSON over NATS, from the gateway or from anything else
 * that reaches the subject. decide() checks them first, so it is total over any JSON (what is not
 * a command is refused with VALIDATION_FAILED, never thrown on) and never decides a value that
 * breaks the value rules (@coffer/contracts values/) into an event. The gateway's DTOs check the
 * same rules with the same functions.
 *
 * Messages name the field and the rule, never the value: a refusal of a command sent with an
 * Idempotency-Key is recorded as an event, and the value may be what a store cannot hold.
 */
import {
  AMOUNT_PATTERN,
  CURRENCY_PATTERN,
  isAppName,
  isDescription,
  isId,
  isPositiveId,
  isText,
  MAX_APP_NAME_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  parseAmount,
  parseUserId,
  refusal,
  textMessage,
  type Refusal,
} from '@coffer/contracts';

/** Longest instance id of a writer term (the writer makes it: a UUID). */
const MAX_INSTANCE_ID_LENGTH = 128;

type Fields = Record<string, unknown>;
type Report = (field: string, message: string) => void;

const RULES = {
  id: 'must be 1-64 characters of [A-Za-z0-9_.:-]',
  positiveId: 'must be a positive integer below 2^53',
  userId: 'must be a string of 1-64 characters of [A-Za-z0-9_.:-]',
  amount: 'must be a positive integer of at most 10^18, as a string of digits',
  currency: 'must be 1-32 characters of [a-z0-9_], starting with a letter',
  kind: "must be 'credit' or 'debit'",
} as const;

/** Null when `command` is an object with a type (all who-may-ask needs to read), else the refusal. */
export function shapeProblem(command: unknown): Refusal | null {
  const typed = typeof command === 'object' && command !== null && !Array.isArray(command) && typeof (command as Fields).type === 'string';
  return typed ? null : refusal('VALIDATION_FAILED', 'malformed ledger command');
}

/** Null when `command` is a well-formed ledger or system command, else the refusal naming its fields. */
export function commandProblem(command: unknown): Refusal | null {
  const shape = shapeProblem(command);
  if (shape) return shape;
  const c = command as Fields;
  const problems: Record<string, string[]> = {};
  const problem: Report = (field, message) => (problems[field] ??= []).push(`${field} ${message}`);
  switch (c.type) {
    case 'RegisterApp':
      if (!isAppName(c.name)) problems.name = [`${textMessage('name', MAX_APP_NAME_LENGTH)}, not blank`];
      check(c, ['key_id', 'key_hash'], isId, RULES.id, problem);
      break;
    case 'IssueApiKey':
      check(c, ['app_id', 'key_id', 'key_hash'], isId, RULES.id, problem);
      break;
    case 'RevokeApiKey':
      check(c, ['app_id', 'key_id'], isId, RULES.id, problem);
      break;
    case 'OpenEvent':
      checkDescription(c, problems);
      break;
    case 'PingEvent':
    case 'CloseEvent':
    case 'ExpireEvent':
      check(c, ['event_id'], isPositiveId, RULES.positiveId, problem);
      break;
    case 'PostTransaction':
      check(c, ['user_id'], isCanonicalUserId, RULES.userId, problem);
      if (c.event_id !== null && !isPositiveId(c.event_id)) problem('event_id', `${RULES.positiveId}, or null`);
      if (c.kind !== 'credit' && c.kind !== 'debit') problem('kind', RULES.kind);
      checkMoney(c, problem, problems);
      break;
    case 'Transfer':
      check(c, ['from_user_id', 'to_user_id'], isCanonicalUserId, RULES.userId, problem);
      checkMoney(c, problem, problems);
      break;
    case 'Grant':
    case 'PayReward':
      check(c, ['user_id'], isCanonicalUserId, RULES.userId, problem);
      checkMoney(c, problem, problems);
      break;
    case 'StartTerm':
      if (!isText(c.instance_id, MAX_INSTANCE_ID_LENGTH) || c.instance_id === '') {
        problems.instance_id = [textMessage('instance_id', MAX_INSTANCE_ID_LENGTH)];
      }
      break;
    default:
      return refusal('VALIDATION_FAILED', 'unknown ledger command type');
  }
  return Object.keys(problems).length ? refusal('VALIDATION_FAILED', 'the command is not valid', { fields: problems }) : null;
}

function check(c: Fields, fields: string[], valid: (value: unknown) => boolean, rule: string, problem: Report): void {
  for (const field of fields) if (!valid(c[field])) problem(field, rule);
}

/** Canonical form only: the gateway sends every user id as its string. */
function isCanonicalUserId(value: unknown): boolean {
  return typeof value === 'string' && parseUserId(value) === value;
}

/** Canonical form only: the gateway sends every amount as its decimal string. */
function isCanonicalAmount(value: unknown): boolean {
  return typeof value === 'string' && AMOUNT_PATTERN.test(value) && parseAmount(value) !== null;
}

function checkMoney(c: Fields, problem: Report, problems: Record<string, string[]>): void {
  check(c, ['amount'], isCanonicalAmount, RULES.amount, problem);
  check(c, ['currency'], (value) => typeof value === 'string' && CURRENCY_PATTERN.test(value), RULES.currency, problem);
  checkDescription(c, problems);
}

function checkDescription(c: Fields, problems: Record<string, string[]>): void {
  if (!isDescription(c.description)) {
    problems.description = [textMessage('description', MAX_DESCRIPTION_LENGTH, { nullable: true })];
  }
}
