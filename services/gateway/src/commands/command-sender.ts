import { createParamDecorator, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  PATTERNS,
  type AchievementCommand,
  type AchievementCommandBody,
  type AchievementCommandType,
  type CommandReply,
  type LedgerCommand,
  type LedgerCommandBody,
  type LedgerCommandType,
} from '@coffer/contracts';
import { NatsRequestClient, type Caller } from '../backend/nats-request-client';
import { callerOf } from '../auth/caller';
import { ReadConsistency } from '../reads/consistency';
import { commandIdFor, IDEMPOTENCY_HEADER, parseIdempotencyKey, requestHash } from './idempotency';

export const REPLAYED_HEADER = 'idempotent-replayed';
export const POSITION_HEADER = 'x-coffer-position';

/** What a command route needs from its HTTP exchange: who calls, with which key, and where the headers go. */
export interface CommandContext {
  method: string;
  caller: Caller;
  idempotencyKey: string | undefined;
  reply: FastifyReply;
}

/** Injects the CommandContext; a malformed Idempotency-Key is refused here with 400. */
export const Command = createParamDecorator((_data: unknown, context: ExecutionContext): CommandContext => {
  const http = context.switchToHttp();
  const request = http.getRequest<FastifyRequest>();
  return {
    method: request.method,
    caller: callerOf(request),
    idempotencyKey: parseIdempotencyKey(request.headers[IDEMPOTENCY_HEADER]),
    reply: http.getResponse<FastifyReply>(),
  };
});

/** The subject each command goes to: the backend whose writer decides it. Exhaustive, so a new command cannot go unrouted. */
const COMMAND_SUBJECTS: { [Type in LedgerCommandType | AchievementCommandType]: string } = {
  RegisterApp: PATTERNS.ledgerCommands,
  IssueApiKey: PATTERNS.ledgerCommands,
  RevokeApiKey: PATTERNS.ledgerCommands,
  Grant: PATTERNS.ledgerCommands,
  OpenEvent: PATTERNS.ledgerCommands,
  PingEvent: PATTERNS.ledgerCommands,
  CloseEvent: PATTERNS.ledgerCommands,
  AbortEvent: PATTERNS.ledgerCommands,
  PostTransaction: PATTERNS.ledgerCommands,
  Transfer: PATTERNS.ledgerCommands,
  ChangeAppSettings: PATTERNS.ledgerCommands,
  SetAllowance: PATTERNS.ledgerCommands,
  RemoveAllowance: PATTERNS.ledgerCommands,
  ClaimAllowance: PATTERNS.ledgerCommands,
  ReverseTransaction: PATTERNS.ledgerCommands,
  PayReward: PATTERNS.ledgerCommands, // the achievements service's; the ledger refuses it from the gateway
  LinkExternalAccount: PATTERNS.ledgerCommands,
  UnlinkExternalAccount: PATTERNS.ledgerCommands,
  RequestWithdrawal: PATTERNS.ledgerCommands,
  AcceptWithdrawal: PATTERNS.ledgerCommands,
  DeclineWithdrawal: PATTERNS.ledgerCommands,
  RequestDeposit: PATTERNS.ledgerCommands,
  AcceptDeposit: PATTERNS.ledgerCommands,
  DeclineDeposit: PATTERNS.ledgerCommands,
  RegisterAchievement: PATTERNS.achievementsCommands,
  UpdateAchievement: PATTERNS.achievementsCommands,
  RecordProgress: PATTERNS.achievementsCommands,
  Unlock: PATTERNS.achievementsCommands,
};

/**
 * Sends every command the gateway takes, to whichever backend decides it (the ledger writer or
 * the achievements service), the same way: one command id per Idempotency-Key, the request's
 * hash, the idempotency and position headers of the answer, and the caller's position for its
 * next reads (read-your-writes).
 */
@Injectable()
export class CommandSender {
  constructor(
    @Inject(NatsRequestClient) private readonly backend: NatsRequestClient,
    @Inject(ReadConsistency) private readonly consistency: ReadConsistency,
  ) {}

  /**
   * `path` and `body` are what the client asked for (the path with its actual ids, the body as
   * validated and normalised): their hash is how the backend recognises a reused key. `realm`:
   * whose ledger decides it (default: the calling app's realm, or the default realm for the admin).
   */
  async send<Result>(
    context: CommandContext,
    path: string,
    body: unknown,
    command: LedgerCommand | AchievementCommand,
    realm?: string,
  ): Promise<CommandReply<Result>> {
    // Without a key the command can never be asked again (its id is random), so it carries no
    // hash: a backend remembers only commands that have one, for their retries.
    const hash = context.idempotencyKey === undefined ? null : requestHash(context.method, path, body);
    const envelope = { command, request_hash: hash } as LedgerCommandBody | AchievementCommandBody;
    const commandId = commandIdFor(context.caller.app_id, context.idempotencyKey);
    const reply = await this.backend.request<CommandReply<Result>>(COMMAND_SUBJECTS[command.type], envelope, context.caller, commandId, undefined, realm);
    if (reply.replayed) void context.reply.header(REPLAYED_HEADER, 'true');
    if (reply.position) void context.reply.header(POSITION_HEADER, reply.position);
    this.consistency.wrote(context.caller.app_id, reply.position);
    return reply;
  }
}
