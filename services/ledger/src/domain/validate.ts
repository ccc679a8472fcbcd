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
  APP_NAME_MESSAGE,
  canonicalAmountMessage,
  DECLINE_REASON_MESSAGE,
  EXTERNAL_ACCOUNT_KIND_MESSAGE,
  EXTERNAL_ACCOUNT_LABEL_MESSAGE,
  isDeclineReason,
  isExternalAccountKind,
  isExternalAccountLabel,
  isReferenceHash,
  isReferenceLast4,
  canonicalUserIdMessage,
  currencyMessage,
  descriptionMessage,
  idMessage,
  isAppName,
  isCanonicalAmount,
  isCurrency,
  isDescription,
  isId,
  isPositiveId,
  isText,
  isUserId,
  positiveIdMessage,
  refusal,
  textMessage,
  type Refusal,
} from '@coffer/contracts';
import { allowanceProblem, appSettingsProblem } from './validate-economy';

/** Longest instance id of a writer term (the writer makes it: a UUID). */
const MAX_INSTANCE_ID_LENGTH = 128;

type Fields = Record<string, unknown>;
type Report = (field: string, message: string) => void;

const TYPE_RULE = "must be 'credit' or 'debit'";

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Null when `command` is shaped {type, data}: an object with a string type (all who-may-ask needs
 * to read) and an object of fields, else the refusal.
 */
export function shapeProblem(command: unknown): Refusal | null {
  const shaped = isObject(command) && typeof command.type === 'string' && isObject(command.data);
  return shaped ? null : refusal('VALIDATION_FAILED', 'malformed ledger command');
}

/** Null when `command` is a well-formed ledger or system command, else the refusal naming its fields. */
export function commandProblem(command: unknown): Refusal | null {
  const shape = shapeProblem(command);
  if (shape) return shape;
  const { type } = command as Fields;
  const c = (command as Fields).data as Fields;
  const problems: Record<string, string[]> = {};
  const problem: Report = (field, message) => (problems[field] ??= []).push(message);
  switch (type) {
    case 'RegisterApp':
      if (!isAppName(c.name)) problem('name', APP_NAME_MESSAGE);
      check(c, ['key_id', 'key_hash'], isId, idMessage, problem);
      break;
    case 'IssueApiKey':
      check(c, ['app_id', 'key_id', 'key_hash'], isId, idMessage, problem);
      break;
    case 'RevokeApiKey':
      check(c, ['app_id', 'key_id'], isId, idMessage, problem);
      break;
    case 'OpenEvent':
      checkDescription(c, problem);
      break;
    case 'PingEvent':
    case 'CloseEvent':
    case 'AbortEvent':
    case 'ExpireEvent':
      check(c, ['event_id'], isPositiveId, positiveIdMessage, problem);
      break;
    case 'PostTransaction':
      check(c, ['user_id'], isUserId, canonicalUserIdMessage, problem);
      if (c.event_id !== null && !isPositiveId(c.event_id)) problem('event_id', `${positiveIdMessage('event_id')}, or null`);
      if (c.type !== 'credit' && c.type !== 'debit') problem('type', `type ${TYPE_RULE}`);
      checkMoney(c, problem);
      break;
    case 'Transfer':
      check(c, ['from_user_id', 'to_user_id'], isUserId, canonicalUserIdMessage, problem);
      checkMoney(c, problem);
      break;
    case 'Grant':
    case 'PayReward':
      check(c, ['user_id'], isUserId, canonicalUserIdMessage, problem);
      checkMoney(c, problem);
      break;
    case 'ChangeAppSettings':
      check(c, ['app_id'], isId, idMessage, problem);
      appSettingsProblem(c, problem);
      break;
    case 'SetAllowance':
    case 'RemoveAllowance':
    case 'ClaimAllowance':
      allowanceProblem(type, c, problem);
      break;
    case 'ReverseTransaction':
      check(c, ['transaction_id'], isPositiveId, positiveIdMessage, problem);
      if (c.amount !== null && !isCanonicalAmount(c.amount)) problem('amount', `${canonicalAmountMessage('amount')}, or null`);
      checkDescription(c, problem);
      break;
    case 'LinkExternalAccount':
      check(c, ['user_id'], isUserId, canonicalUserIdMessage, problem);
      if (!isExternalAccountKind(c.kind)) problem('kind', EXTERNAL_ACCOUNT_KIND_MESSAGE);
      if (!isExternalAccountLabel(c.label)) problem('label', EXTERNAL_ACCOUNT_LABEL_MESSAGE);
      if (!isReferenceHash(c.reference_hash)) problem('reference_hash', 'reference_hash must be 64 lower-case hex digits');
      checkLast4(c, problem);
      break;
    case 'UnlinkExternalAccount':
      check(c, ['user_id'], isUserId, canonicalUserIdMessage, problem);
      check(c, ['external_account_id'], isPositiveId, positiveIdMessage, problem);
      break;
    case 'RequestWithdrawal':
    case 'RequestDeposit':
      check(c, ['user_id'], isUserId, canonicalUserIdMessage, problem);
      check(c, ['external_account_id'], isPositiveId, positiveIdMessage, problem);
      check(c, ['amount'], isCanonicalAmount, canonicalAmountMessage, problem);
      check(c, ['currency'], isCurrency, currencyMessage, problem);
      if (type === 'RequestDeposit') {
        if (!isReferenceHash(c.reference_hash)) problem('reference_hash', 'reference_hash must be 64 lower-case hex digits');
        checkLast4(c, problem);
      }
      break;
    case 'AcceptWithdrawal':
    case 'DeclineWithdrawal':
      check(c, ['withdrawal_id'], isPositiveId, positiveIdMessage, problem);
      if (type === 'DeclineWithdrawal' && !isDeclineReason(c.reason)) problem('reason', DECLINE_REASON_MESSAGE);
      break;
    case 'AcceptDeposit':
    case 'DeclineDeposit':
      check(c, ['deposit_id'], isPositiveId, positiveIdMessage, problem);
      if (type === 'DeclineDeposit' && !isDeclineReason(c.reason)) problem('reason', DECLINE_REASON_MESSAGE);
      break;
    case 'StartTerm':
      if (!isText(c.instance_id, MAX_INSTANCE_ID_LENGTH) || c.instance_id === '') {
        problem('instance_id', textMessage('instance_id', MAX_INSTANCE_ID_LENGTH));
      }
      break;
    default:
      return refusal('VALIDATION_FAILED', 'unknown ledger command type');
  }
  return Object.keys(problems).length ? refusal('VALIDATION_FAILED', 'the command is not valid', { fields: problems }) : null;
}

/** Reports each of `fields` whose value is not `valid`, with the value's message for that field. */
function check(c: Fields, fields: string[], valid: (value: unknown) => boolean, message: (field: string) => string, problem: Report): void {
  for (const field of fields) if (!valid(c[field])) problem(field, message(field));
}

/** Canonical forms only: the gateway sends every amount and user id as its string. */
function checkMoney(c: Fields, problem: Report): void {
  check(c, ['amount'], isCanonicalAmount, canonicalAmountMessage, problem);
  check(c, ['currency'], isCurrency, currencyMessage, problem);
  checkDescription(c, problem);
}

function checkLast4(c: Fields, problem: Report): void {
  if (!isReferenceLast4(c.reference_last4)) problem('reference_last4', 'reference_last4 must be 4 printable ASCII characters');
}

function checkDescription(c: Fields, problem: Report): void {
  check(c, ['description'], isDescription, descriptionMessage, problem);
}
