/**
 * Where a withdrawal or a deposit stands: waiting for an operator's verification (its money
 * held pending), then accepted (posted) or declined (voided), once.
 */
export const VERIFICATION_STATUSES = ['waiting_for_verification', 'accepted', 'declined'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

export function isVerificationStatus(value: unknown): value is VerificationStatus {
  return typeof value === 'string' && (VERIFICATION_STATUSES as readonly string[]).includes(value);
}
