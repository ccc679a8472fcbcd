/** @coffer/sdk: Coffer's client for games and apps. */
export { Coffer, type CofferOptions } from './client.js';
export { Session, Sessions, type SessionOptions, type SessionState, type SessionTransactionOptions } from './session.js';
export {
  Balances,
  Events,
  Transactions,
  Transfers,
  type BalanceQuery,
  type Dated,
  type PostTransactionBody,
  type ReadQuery,
  type ReverseTransactionBody,
  type TransactionsQuery,
  type TransferBody,
} from './resources/finance.js';
export {
  Achievements,
  type AchievementChanges,
  type DefineAchievementBody,
  type ListQuery,
  type ProgressBody,
} from './resources/achievements.js';
export { Leaderboards, Statements, type LeaderboardQuery, type StatementQuery } from './resources/reports.js';
export { Webhooks, type CreateWebhookBody, type DeliveriesQuery } from './resources/webhooks.js';
export { PageIterator } from './paging.js';
export { CORRELATION_HEADER, type AbortSignalLike, type CallOptions, type FetchLike } from './transport.js';
export { DEFAULT_RETRY, RETRY_LIMITS, backoffMs, nextRetry, parseRetryAfter, isRetryableStatus, type RetryOptions, type RetryDecision } from './retry.js';
export {
  CofferError,
  ConflictError,
  ERROR_CODES,
  EventNotOpenError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InsufficientFundsError,
  InternalError,
  LimitExceededError,
  NetworkError,
  NotFoundError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
  type CofferErrorInit,
  type ErrorCode,
} from './errors.js';
export { encodeAmount, encodeUserId, InvalidArgumentError, MAX_AMOUNT, type AmountInput, type UserIdInput } from './values.js';
export {
  DEFAULT_TOLERANCE_SECONDS,
  parseSignatureHeader,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhook,
  webhookSignatureHeader,
  WebhookVerificationError,
  type VerifyOptions,
  type WebhookDelivery,
  type WebhookFailure,
} from './webhook.js';
export type * from './types.js';
