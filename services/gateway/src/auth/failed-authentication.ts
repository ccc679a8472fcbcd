import { ApiError } from '../http/api-error';
import type { AddressLimits } from '../rate-limit/address-limits';

/**
 * What to answer credentials that were not found: `refusal` (401), or 429 once the address's
 * failed authentications have used up their bucket. Only misses are counted and refused here:
 * credentials that are found are never refused by address.
 */
export function failedAuthentication(limits: AddressLimits, address: string, refusal: ApiError): ApiError {
  const verdict = limits.authenticationFailed(address);
  if (verdict.allowed) return refusal;
  return new ApiError('RATE_LIMITED', 'too many failed authentications from this address: slow down', {
    retry_after_seconds: verdict.retryAfterSeconds,
  });
}
