/**
 * The one test client of the HTTP API, typed by the contract: each route's method sends the
 * route's request DTO and answers the route's view (libs/contracts, '@coffer/contracts/http'), or
 * the error body every route shares. A renamed reply field breaks the tests' compilation, not
 * their run.
 *
 *   const client = ApiClient.inject(gateway, apiKey);       // in-process (Fastify inject)
 *   const client = ApiClient.http(base, apiKey);            // real HTTP on a loopback port
 *   const posted = await client.postTransaction({ user_id: 'alice', type: 'credit', amount: 5 }, { idempotencyKey });
 *   posted.status;                                          // 201
 *   posted.reply.transaction_id;                            // TransactionView: fails the test unless 2xx
 *   (await client.balance('x'.repeat(65))).error.code;      // ErrorBody: fails the test unless an error body
 *
 * Hostile input stays possible: `send` takes any method, path, raw body text or bytes and raw
 * headers, and path parameters go into the path as given (unencoded), so an id the API must
 * refuse reaches it as the test wrote it.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ErrorBody } from '@coffer/contracts';
import type {
  AdminTokenCreated,
  AdminTokenList,
  AuditList,
  AuditQueryDto,
  CreateAdminTokenDto,
  DailyStatsList,
  DailyStatsQueryDto,
  CreateWebhookDto,
  DeliveriesQueryDto,
  DeliveryList,
  WebhookCreated,
  WebhookList,
  AchievementList,
  AchievementListQueryDto,
  AchievementStatsView,
  AchievementView,
  AllowanceView,
  ApiKeyCreated,
  AppCreated,
  AppList,
  AppListQueryDto,
  AppSettingsView,
  AchievementLeaderboardQueryDto,
  AchievementLeaderboardView,
  BalanceLeaderboardQueryDto,
  BalanceLeaderboardView,
  BalanceQueryDto,
  BalanceView,
  ClaimAllowanceDto,
  CreateAppDto,
  DeclineDto,
  DepositListView,
  DepositView,
  ExternalAccountListView,
  ExternalAccountView,
  LinkExternalAccountDto,
  RequestDepositDto,
  RequestWithdrawalDto,
  VerificationListQueryDto,
  WithdrawalListView,
  WithdrawalView,
  FinanceEventAborted,
  FinanceEventClosed,
  FinanceEventOpen,
  FinanceEventView,
  GrantDto,
  OpenEventDto,
  PostTransactionDto,
  ProgressView,
  RecordProgressDto,
  RegisterAchievementDto,
  SetAllowanceDto,
  ReverseTransactionDto,
  StatementQueryDto,
  StatementView,
  TransactionsPageView,
  TransactionsQueryDto,
  TransactionView,
  TransferDto,
  TransferView,
  UnlockAchievementDto,
  UpdateAchievementDto,
  UpdateAppDto,
  UserAchievementList,
  UserAchievementListQueryDto,
} from '@coffer/contracts/http';
import { http, type HttpOptions } from './http-client';

/** What one request may carry: the typed methods fill in the token and the body. */
export interface RequestOptions {
  /** `Authorization: Bearer <token>`; the client's own token unless given. */
  token?: string;
  idempotencyKey?: string;
  /** Sent as they are (a content-type here wins over application/json). */
  headers?: Record<string, string>;
  /** An object or array is sent as JSON; a string or Buffer as it is (JSON with integers beyond 2^53, broken JSON). */
  body?: object | string | Buffer;
  /** Real HTTP only: Transfer-Encoding: chunked in pieces of this many bytes. */
  chunkBytes?: number;
  /** Real HTTP only: the client's own loopback address (127.x.y.z). */
  localAddress?: string;
}

/** The options of a typed command: no body (the method's argument is the body). */
export type CommandOptions = Omit<RequestOptions, 'body'>;

export type Headers = Record<string, string | string[] | number | undefined>;

/** What came back from the wire, before the client types it. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends one request: in-process or over real HTTP. */
export type Transport = (method: string, path: string, options: RequestOptions) => Promise<RawAnswer>;

/** One answer of a route whose 2xx body is `Reply`. */
export class Answer<Reply> {
  /** The parsed JSON body as it came (the reply or the error body); undefined when empty or not JSON. */
  readonly body: Reply | ErrorBody | undefined;

  constructor(
    /** What was asked ("POST /finance/transaction"), for the messages of failed expectations. */
    readonly request: string,
    readonly status: number,
    readonly headers: Headers,
    readonly text: string,
  ) {
    this.body = parseJson(text) as Reply | ErrorBody | undefined;
  }

  /** The route's reply: fails the test (saying the status and the body) unless the status is 2xx. */
  get reply(): Reply {
    if (this.status < 200 || this.status > 299) throw new Error(`${this.request}: expected a 2xx reply, got ${this.status}: ${this.text}`);
    return this.body as Reply;
  }

  /** The error body's code, or undefined when the body is not an error body (for rows that compare status and code). */
  get errorCode(): ErrorBody['error']['code'] | undefined {
    return (this.body as Partial<ErrorBody> | undefined)?.error?.code;
  }

  /** A VALIDATION_FAILED error's details.fields (field → messages); {} when it names none. Fails unless an error body. */
  get fieldErrors(): Record<string, string[]> {
    return (this.error.details?.fields ?? {}) as Record<string, string[]>;
  }

  /** The error body's error ({code, message, details}): fails the test unless the body is one. */
  get error(): ErrorBody['error'] {
    const body = this.body as Partial<ErrorBody> | undefined;
    if (typeof body?.error !== 'object' || body.error === null) throw new Error(`${this.request}: expected an error body, got ${this.status}: ${this.text}`);
    return body.error;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A query as a route's query DTO names it (values as they go in the URL), or the query text as is. */
export type Query<Dto> = string | { [Field in keyof Dto]?: string | number | boolean };

function withQuery<Dto>(path: string, query: Query<Dto> | undefined): string {
  if (query === undefined) return path;
  if (typeof query === 'string') return query === '' ? path : `${path}?${query}`;
  const pairs = Object.entries(query).filter(([, value]) => value !== undefined) as Array<[string, string | number | boolean]>;
  return pairs.length === 0 ? path : `${path}?${pairs.map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`).join('&')}`;
}

/** Real HTTP to a gateway listening at `base` (listenOnLoopback): every byte as the test says. */
export function httpTransport(base: string): Transport {
  return async (method, path, options) => {
    const answer = await http(base, method, path, options as HttpOptions);
    return { status: answer.status, headers: answer.headers, text: answer.text };
  };
}

/** The commands on a fixed path: what each takes and answers. */
export interface CommandRoutes {
  '/finance/transaction': { body: PostTransactionDto; reply: TransactionView };
  '/finance/transfer': { body: TransferDto; reply: TransferView };
  '/finance/event': { body: OpenEventDto | undefined; reply: FinanceEventOpen };
  '/admin/apps': { body: CreateAppDto; reply: AppCreated };
  '/admin/grants': { body: GrantDto; reply: TransactionView };
  '/finance/withdrawals': { body: RequestWithdrawalDto; reply: WithdrawalView };
  '/finance/deposits': { body: RequestDepositDto; reply: DepositView };
  '/achievements': { body: RegisterAchievementDto; reply: AchievementView };
}

/** GET /ready's body (the gateway's own, not a contract of the backends). */
export interface Readiness {
  status: 'ready' | 'unavailable';
  checks: Record<string, 'ok' | 'unavailable'>;
}

/** The reads' consistency choice (API.md, "Consistency"). */
export interface ReadOptions {
  consistency?: 'strong' | 'eventual';
}

export class ApiClient {
  constructor(
    private readonly transport: Transport,
    /** The API key or admin token the requests carry unless told otherwise. */
    readonly token?: string,
  ) {}

  /** Requests through Fastify's inject (no socket) to an initialised gateway. */
  static inject(app: NestFastifyApplication, token?: string): ApiClient {
    return new ApiClient(async (method, path, options) => {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
      let payload: string | Buffer | undefined;
      if (options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        payload = typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
      }
      const response = await app.inject({ method: method as 'GET', url: path, headers, payload });
      return { status: response.statusCode, headers: response.headers, text: response.body };
    }, token);
  }

  /** Requests over real HTTP to a gateway listening at `base` (listenOnLoopback). */
  static http(base: string, token?: string): ApiClient {
    return new ApiClient(httpTransport(base), token);
  }

  /** The same transport with another token (another app, the admin, none). */
  as(token: string | undefined): ApiClient {
    return new ApiClient(this.transport, token);
  }

  /** Any request, raw or hostile: the caller says what the 2xx body is, if it matters. */
  async send<Reply = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<Reply>> {
    const raw = await this.transport(method, path, { token: this.token, ...options });
    return new Answer<Reply>(`${method} ${path}`, raw.status, raw.headers, raw.text);
  }

  /** A command on a fixed path (COMMAND_ROUTES), typed by its path: for tests that pick the route as data. */
  post<Path extends keyof CommandRoutes>(path: Path, body: CommandRoutes[Path]['body'], options: CommandOptions = {}): Promise<Answer<CommandRoutes[Path]['reply']>> {
    return this.command('POST', path, body, options);
  }

  private command<Reply>(method: string, path: string, body: object | undefined, options: CommandOptions): Promise<Answer<Reply>> {
    return this.send<Reply>(method, path, { ...options, body });
  }

  // ---- finance (API.md "Finance") ------------------------------------------------------------

  postTransaction(body: PostTransactionDto, options: CommandOptions = {}): Promise<Answer<TransactionView>> {
    return this.command('POST', '/finance/transaction', body, options);
  }

  transfer(body: TransferDto, options: CommandOptions = {}): Promise<Answer<TransferView>> {
    return this.command('POST', '/finance/transfer', body, options);
  }

  balance(userId: string, query?: Query<BalanceQueryDto>): Promise<Answer<BalanceView>> {
    return this.send('GET', withQuery(`/finance/balance/${userId}`, query));
  }

  /** As JSON (the reply) or, with format=csv, as text (read `.text`). */
  statement(userId: string, query?: Query<StatementQueryDto>): Promise<Answer<StatementView>> {
    return this.send('GET', withQuery(`/finance/statement/${userId}`, query));
  }

  balanceLeaderboard(query?: Query<BalanceLeaderboardQueryDto>): Promise<Answer<BalanceLeaderboardView>> {
    return this.send('GET', withQuery('/leaderboards/balances', query));
  }

  achievementLeaderboard(query?: Query<AchievementLeaderboardQueryDto>): Promise<Answer<AchievementLeaderboardView>> {
    return this.send('GET', withQuery('/leaderboards/achievements', query));
  }

  transactions(query?: Query<TransactionsQueryDto & ReadOptions>): Promise<Answer<TransactionsPageView>> {
    return this.send('GET', withQuery('/finance/transactions', query));
  }

  openEvent(body?: OpenEventDto, options: CommandOptions = {}): Promise<Answer<FinanceEventOpen>> {
    return this.command('POST', '/finance/event', body, options);
  }

  pingEvent(eventId: number | string, options: CommandOptions = {}): Promise<Answer<FinanceEventOpen>> {
    return this.command('POST', `/finance/event/${eventId}/ping`, undefined, options);
  }

  closeEvent(eventId: number | string, options: CommandOptions = {}): Promise<Answer<FinanceEventClosed>> {
    return this.command('POST', `/finance/event/${eventId}/close`, undefined, options);
  }

  abortEvent(eventId: number | string, options: CommandOptions = {}): Promise<Answer<FinanceEventAborted>> {
    return this.command('POST', `/finance/event/${eventId}/abort`, undefined, options);
  }

  /** An app's reversal of its own posted transaction (the body is optional: without amount, all that is left). */
  reverseTransaction(transactionId: number | string, body?: ReverseTransactionDto, options: CommandOptions = {}): Promise<Answer<TransactionView>> {
    return this.command('POST', `/finance/transactions/${transactionId}/reverse`, body, options);
  }

  event(eventId: number | string, query?: Query<ReadOptions>): Promise<Answer<FinanceEventView>> {
    return this.send('GET', withQuery(`/finance/event/${eventId}`, query));
  }

  // ---- withdrawals and deposits (API.md "Money operations beyond seed 000") -----------------------

  linkExternalAccount(userId: string, body: LinkExternalAccountDto, options: CommandOptions = {}): Promise<Answer<ExternalAccountView>> {
    return this.command('POST', `/users/${userId}/external-accounts`, body, options);
  }

  externalAccounts(userId: string): Promise<Answer<ExternalAccountListView>> {
    return this.send('GET', `/users/${userId}/external-accounts`);
  }

  /** 204: no body. */
  unlinkExternalAccount(userId: string, externalAccountId: number | string, options: CommandOptions = {}): Promise<Answer<undefined>> {
    return this.command('DELETE', `/users/${userId}/external-accounts/${externalAccountId}`, undefined, options);
  }

  requestWithdrawal(body: RequestWithdrawalDto, options: CommandOptions = {}): Promise<Answer<WithdrawalView>> {
    return this.command('POST', '/finance/withdrawals', body, options);
  }

  requestDeposit(body: RequestDepositDto, options: CommandOptions = {}): Promise<Answer<DepositView>> {
    return this.command('POST', '/finance/deposits', body, options);
  }

  acceptWithdrawal(withdrawalId: number | string, options: CommandOptions = {}): Promise<Answer<WithdrawalView>> {
    return this.command('POST', `/admin/withdrawals/${withdrawalId}/accept`, undefined, options);
  }

  declineWithdrawal(withdrawalId: number | string, body: DeclineDto, options: CommandOptions = {}): Promise<Answer<WithdrawalView>> {
    return this.command('POST', `/admin/withdrawals/${withdrawalId}/decline`, body, options);
  }

  withdrawals(query?: Query<VerificationListQueryDto>): Promise<Answer<WithdrawalListView>> {
    return this.send('GET', withQuery('/admin/withdrawals', query));
  }

  acceptDeposit(depositId: number | string, options: CommandOptions = {}): Promise<Answer<DepositView>> {
    return this.command('POST', `/admin/deposits/${depositId}/accept`, undefined, options);
  }

  declineDeposit(depositId: number | string, body: DeclineDto, options: CommandOptions = {}): Promise<Answer<DepositView>> {
    return this.command('POST', `/admin/deposits/${depositId}/decline`, body, options);
  }

  deposits(query?: Query<VerificationListQueryDto>): Promise<Answer<DepositListView>> {
    return this.send('GET', withQuery('/admin/deposits', query));
  }

  // ---- admin (API.md "Admin") -----------------------------------------------------------------

  createApp(body: CreateAppDto, options: CommandOptions = {}): Promise<Answer<AppCreated>> {
    return this.command('POST', '/admin/apps', body, options);
  }

  apps(query?: Query<AppListQueryDto>): Promise<Answer<AppList>> {
    return this.send('GET', withQuery('/admin/apps', query));
  }

  issueKey(appId: string, options: CommandOptions = {}): Promise<Answer<ApiKeyCreated>> {
    return this.command('POST', `/admin/apps/${appId}/keys`, undefined, options);
  }

  /** 204: no body. */
  revokeKey(appId: string, keyId: string, options: CommandOptions = {}): Promise<Answer<undefined>> {
    return this.command('DELETE', `/admin/apps/${appId}/keys/${keyId}`, undefined, options);
  }

  grant(body: GrantDto, options: CommandOptions = {}): Promise<Answer<TransactionView>> {
    return this.command('POST', '/admin/grants', body, options);
  }

  updateApp(appId: string, body: UpdateAppDto, options: CommandOptions = {}): Promise<Answer<AppSettingsView>> {
    return this.command('PATCH', `/admin/apps/${appId}`, body, options);
  }

  setAllowance(currency: string, body: SetAllowanceDto, options: CommandOptions = {}): Promise<Answer<AllowanceView>> {
    return this.command('PUT', `/admin/allowances/${currency}`, body, options);
  }

  /** 204: no body. */
  removeAllowance(currency: string, options: CommandOptions = {}): Promise<Answer<undefined>> {
    return this.command('DELETE', `/admin/allowances/${currency}`, undefined, options);
  }

  // ---- operators (API.md "Operators: console, roles, audit") ------------------------------------

  createAdminToken(body: CreateAdminTokenDto): Promise<Answer<AdminTokenCreated>> {
    return this.command('POST', '/admin/tokens', body, {});
  }

  adminTokens(): Promise<Answer<AdminTokenList>> {
    return this.send('GET', '/admin/tokens');
  }

  deleteAdminToken(tokenId: string): Promise<Answer<undefined>> {
    return this.send('DELETE', `/admin/tokens/${tokenId}`);
  }

  audit(query?: Query<AuditQueryDto>): Promise<Answer<AuditList>> {
    return this.send('GET', withQuery('/admin/audit', query));
  }

  dailyStats(query?: Query<DailyStatsQueryDto>): Promise<Answer<DailyStatsList>> {
    return this.send('GET', withQuery('/admin/stats/daily', query));
  }

  /** The admin's reversal of any posted transaction (a grant included). */
  adminReverseTransaction(transactionId: number | string, body?: ReverseTransactionDto, options: CommandOptions = {}): Promise<Answer<TransactionView>> {
    return this.command('POST', `/admin/transactions/${transactionId}/reverse`, body, options);
  }

  // ---- allowances (API.md "Money operations beyond seed 000") ---------------------------------

  claimAllowance(currency: string, body: ClaimAllowanceDto, options: CommandOptions = {}): Promise<Answer<TransactionView>> {
    return this.command('POST', `/finance/allowances/${currency}/claim`, body, options);
  }

  // ---- achievements (API.md "Achievements") ---------------------------------------------------

  registerAchievement(body: RegisterAchievementDto, options: CommandOptions = {}): Promise<Answer<AchievementView>> {
    return this.command('POST', '/achievements', body, options);
  }

  achievements(query?: Query<AchievementListQueryDto>): Promise<Answer<AchievementList>> {
    return this.send('GET', withQuery('/achievements', query));
  }

  achievement(key: string): Promise<Answer<AchievementView>> {
    return this.send('GET', `/achievements/${key}`);
  }

  updateAchievement(key: string, body: UpdateAchievementDto, options: CommandOptions = {}): Promise<Answer<AchievementView>> {
    return this.command('PATCH', `/achievements/${key}`, body, options);
  }

  recordProgress(key: string, body: RecordProgressDto, options: CommandOptions = {}): Promise<Answer<ProgressView>> {
    return this.command('POST', `/achievements/${key}/progress`, body, options);
  }

  unlock(key: string, body: UnlockAchievementDto, options: CommandOptions = {}): Promise<Answer<ProgressView>> {
    return this.command('POST', `/achievements/${key}/unlock`, body, options);
  }

  achievementStats(key: string): Promise<Answer<AchievementStatsView>> {
    return this.send('GET', `/achievements/${key}/stats`);
  }

  userAchievements(userId: string, query?: Query<UserAchievementListQueryDto>): Promise<Answer<UserAchievementList>> {
    return this.send('GET', withQuery(`/users/${userId}/achievements`, query));
  }

  // ---- webhooks (API.md "Notifications: webhooks") ----------------------------------------------

  createWebhook(body: CreateWebhookDto, options: CommandOptions = {}): Promise<Answer<WebhookCreated>> {
    return this.command('POST', '/webhooks', body, options);
  }

  webhooks(): Promise<Answer<WebhookList>> {
    return this.send('GET', '/webhooks');
  }

  deleteWebhook(webhookId: number | string): Promise<Answer<undefined>> {
    return this.send('DELETE', `/webhooks/${webhookId}`);
  }

  deliveries(webhookId: number | string, query?: Query<DeliveriesQueryDto>): Promise<Answer<DeliveryList>> {
    return this.send('GET', withQuery(`/webhooks/${webhookId}/deliveries`, query));
  }

  // ---- operations -------------------------------------------------------------------------------

  health(): Promise<Answer<{ status: 'ok' }>> {
    return this.send('GET', '/health');
  }

  ready(): Promise<Answer<Readiness>> {
    return this.send('GET', '/ready');
  }

  /**
   * The OpenAPI document (/docs/openapi.json): a document about the contract, not a reply of it,
   * so the tests walk it as plain JSON.
   */
  openApi(): Promise<Answer<Record<string, any>>> {
    return this.send('GET', '/docs/openapi.json');
  }

  /** The feed's AsyncAPI document (/docs/asyncapi.json), as plain JSON for the same reason. */
  asyncApi(): Promise<Answer<Record<string, any>>> {
    return this.send('GET', '/docs/asyncapi.json');
  }

  /** Prometheus text: read `.text`. */
  metrics(): Promise<Answer<undefined>> {
    return this.send('GET', '/metrics');
  }
}
