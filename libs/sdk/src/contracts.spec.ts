/**
 * The SDK's copies of the contracts (types.ts, errors.ts, the request bodies) held equal to
 * libs/contracts. The SDK cannot import them (a published package must not need the server's),
 * so the compiler compares them here: `npm run typecheck` fails when a reply gains a field the
 * SDK does not know, and this suite fails when the API gains an error code.
 */
import { ERROR_STATUS, ID_PATTERN, type ErrorCode as ContractErrorCode } from '@coffer/contracts';
import type {
  DeliveryReply,
  WebhookReply,
  WebhookEventType as ContractWebhookEventType,
  AchievementReply,
  BalanceLine as ContractBalanceLine,
  AchievementRank as ContractAchievementRank,
  BalanceRank as ContractBalanceRank,
  BalanceReply,
  StatementMovement as ContractStatementMovement,
  StatementReply,
  FinanceEventDetails,
  FinanceEventStatus as ContractFinanceEventStatus,
  ProgressReply,
  TransactionReply,
  TransactionStatus as ContractTransactionStatus,
  TransactionType as ContractTransactionType,
} from '@coffer/contracts';
import type {
  CreateWebhookDto,
  DeliveriesQueryDto,
  WebhookCreated,
  AchievementRewardView,
  AchievementStatsView,
  BalanceQueryDto,
  StatementQueryDto,
  AchievementView,
  FinanceEventAborted as ContractFinanceEventAborted,
  FinanceEventClosed as ContractFinanceEventClosed,
  FinanceEventOpen,
  PostTransactionDto,
  RecordProgressDto,
  ReverseTransactionDto,
  RegisterAchievementDto,
  TransactionsQueryDto,
  TransferDto,
  TransferView,
  UpdateAchievementDto,
  UserAchievementView,
} from '@coffer/contracts/http';
import { ERROR_CLASSES, ERROR_CODES, type ErrorCode } from './errors';
import { USER_ID_PATTERN } from './values';
import type { AchievementChanges, DefineAchievementBody, ProgressBody } from './resources/achievements';
import type { BalanceQuery, PostTransactionBody, ReverseTransactionBody, TransactionsQuery, TransferBody } from './resources/finance';
import type { StatementQuery } from './resources/reports';
import type { CreateWebhookBody, DeliveriesQuery } from './resources/webhooks';
import type {
  AchievementRank,
  BalanceRank,
  Statement,
  StatementMovement,
  Achievement,
  AchievementStats,
  Balance,
  BalanceLine,
  FinanceEvent,
  FinanceEventAborted,
  FinanceEventClosed,
  FinanceEventOpened,
  FinanceEventStatus,
  Progress,
  Transaction,
  TransactionStatus,
  TransactionType,
  Transfer,
  UserAchievement,
  CreatedWebhook,
  Delivery,
  Webhook,
  WebhookEventType,
} from './types';

/** true only when A and B are the same type (optional and readonly modifiers included). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Plain fields of a class (its instances' shape). */
type Shape<T> = { [K in keyof T]: T[K] };
const same = <A, B>(proof: Equal<A, B>): Equal<A, B> => proof;

// Replies and views: the same fields, the same types.
same<Transaction, TransactionReply>(true);
same<Balance, BalanceReply>(true);
same<Statement, StatementReply>(true);
same<StatementMovement, ContractStatementMovement>(true);
same<BalanceRank, ContractBalanceRank>(true);
same<AchievementRank, ContractAchievementRank>(true);
same<BalanceLine, ContractBalanceLine>(true);
same<FinanceEvent, FinanceEventDetails>(true);
same<FinanceEventOpened, Shape<FinanceEventOpen>>(true);
same<FinanceEventClosed, Shape<ContractFinanceEventClosed>>(true);
same<FinanceEventAborted, Shape<ContractFinanceEventAborted>>(true);
same<Transfer, Shape<TransferView>>(true);
same<Achievement, AchievementReply>(true);
same<Omit<Achievement, 'reward'>, Omit<Shape<AchievementView>, 'reward'>>(true);
same<NonNullable<Achievement['reward']>, Shape<AchievementRewardView>>(true);
same<Progress, ProgressReply>(true);
same<UserAchievement, Shape<UserAchievementView>>(true);
same<AchievementStats, Shape<AchievementStatsView>>(true);
same<TransactionType, ContractTransactionType>(true);
same<TransactionStatus, ContractTransactionStatus>(true);
same<FinanceEventStatus, ContractFinanceEventStatus>(true);
same<ErrorCode, ContractErrorCode>(true);
same<Webhook, WebhookReply>(true);
same<CreatedWebhook, Shape<WebhookCreated>>(true);
same<Delivery, DeliveryReply>(true);
same<WebhookEventType, ContractWebhookEventType>(true);

// Requests: every field the API takes, no field it does not.
same<keyof PostTransactionBody, keyof PostTransactionDto>(true);
same<keyof TransferBody, keyof TransferDto>(true);
same<keyof ReverseTransactionBody, keyof ReverseTransactionDto>(true);
same<keyof DefineAchievementBody, keyof RegisterAchievementDto>(true);
same<keyof AchievementChanges, keyof UpdateAchievementDto>(true);
same<keyof ProgressBody, keyof RecordProgressDto>(true);
same<keyof CreateWebhookBody, keyof CreateWebhookDto>(true);
same<keyof DeliveriesQuery, keyof DeliveriesQueryDto>(true);
// The list iterates by cursor: offset paging (page) and the read position stay out of it.
same<keyof TransactionsQuery, Exclude<keyof TransactionsQueryDto, 'page' | 'min_position'>>(true);
same<keyof BalanceQuery, keyof BalanceQueryDto>(true);
// format is the method's choice (get or csv), not a field of the query.
same<keyof StatementQuery, Exclude<keyof StatementQueryDto, 'format'>>(true);

describe('the SDK and the contracts', () => {
  it('knows every error code the API answers, with its status, and has a class for each', () => {
    expect(ERROR_CODES).toEqual(ERROR_STATUS);
    expect(Object.keys(ERROR_CLASSES).sort()).toEqual(Object.keys(ERROR_STATUS).sort());
  });

  it('checks user ids by the one id rule of the contracts', () => {
    expect(USER_ID_PATTERN.source).toBe(ID_PATTERN.source);
    expect(USER_ID_PATTERN.flags).toBe(ID_PATTERN.flags);
  });
});
