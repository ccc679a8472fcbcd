/**
 * An external account: where a user's withdrawals go and deposits come from (a bank account, a
 * PayPal address, a prize desk). Linked per user; what identifies it outside (`reference`: an
 * IBAN, an e-mail) is personal data, so the gateway keeps only its last 4 characters, to show, and
 * a keyed hash, to tell the same account linked twice (see ../external-account/commands.ts).
 */
import { isText, textMessage, textSchema } from './text';

/** Bounded, so operators and the console can group and show them: anything else is 'other'. */
export const EXTERNAL_ACCOUNT_KINDS = ['bank', 'paypal', 'prize', 'shop', 'other'] as const;
export type ExternalAccountKind = (typeof EXTERNAL_ACCOUNT_KINDS)[number];

export function isExternalAccountKind(value: unknown): value is ExternalAccountKind {
  return typeof value === 'string' && (EXTERNAL_ACCOUNT_KINDS as readonly string[]).includes(value);
}

export const EXTERNAL_ACCOUNT_KIND_MESSAGE = `kind must be one of ${EXTERNAL_ACCOUNT_KINDS.join(', ')}`;

/** What the user calls it ("my savings"): 1-64 characters of text. */
export const MAX_EXTERNAL_ACCOUNT_LABEL_LENGTH = 64;

export function isExternalAccountLabel(value: unknown): value is string {
  return isText(value, MAX_EXTERNAL_ACCOUNT_LABEL_LENGTH) && value.trim() !== '';
}

export const EXTERNAL_ACCOUNT_LABEL_MESSAGE = `label must be non-blank ${textMessage('', MAX_EXTERNAL_ACCOUNT_LABEL_LENGTH).slice(' must be '.length)}`;
export const EXTERNAL_ACCOUNT_LABEL_SCHEMA = textSchema(MAX_EXTERNAL_ACCOUNT_LABEL_LENGTH, 1);

/**
 * A reference as clients send it (an account number, an e-mail, a payment's id): 4 to 128
 * printable ASCII characters with no space, so its last 4 mean the same to everyone and no
 * look-alike Unicode makes two spellings of one account.
 */
export const MIN_REFERENCE_LENGTH = 4;
export const MAX_REFERENCE_LENGTH = 128;
export const REFERENCE_PATTERN = /^[\x21-\x7e]{4,128}$/;

export function isReference(value: unknown): value is string {
  return typeof value === 'string' && REFERENCE_PATTERN.test(value);
}

export function referenceMessage(field = 'reference'): string {
  return `${field} must be ${MIN_REFERENCE_LENGTH}-${MAX_REFERENCE_LENGTH} printable ASCII characters without spaces`;
}

export const REFERENCE_SCHEMA = { type: 'string', minLength: MIN_REFERENCE_LENGTH, maxLength: MAX_REFERENCE_LENGTH, pattern: REFERENCE_PATTERN.source } as const;

/** The last 4 characters of a reference: all of it that is ever stored or shown. */
export const referenceLast4 = (reference: string): string => reference.slice(-4);

export const REFERENCE_LAST4_PATTERN = /^[\x21-\x7e]{4}$/;
export const isReferenceLast4 = (value: unknown): value is string => typeof value === 'string' && REFERENCE_LAST4_PATTERN.test(value);

/** A reference's keyed hash: HMAC-SHA256, 64 lower-case hex digits. */
export const REFERENCE_HASH_PATTERN = /^[0-9a-f]{64}$/;
export const isReferenceHash = (value: unknown): value is string => typeof value === 'string' && REFERENCE_HASH_PATTERN.test(value);

/** Why an operator declined a withdrawal or a deposit: 1-500 characters of text. */
export const MAX_DECLINE_REASON_LENGTH = 500;
export function isDeclineReason(value: unknown): value is string {
  return isText(value, MAX_DECLINE_REASON_LENGTH) && value.trim() !== '';
}
export const DECLINE_REASON_MESSAGE = `reason must be non-blank ${textMessage('', MAX_DECLINE_REASON_LENGTH).slice(' must be '.length)}`;
export const DECLINE_REASON_SCHEMA = textSchema(MAX_DECLINE_REASON_LENGTH, 1);
