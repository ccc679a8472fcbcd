import { Inject, Injectable } from '@nestjs/common';
import {
  PATTERNS,
  type AchievementCommand,
  type AchievementCommandBody,
  type AchievementQuery,
  type AchievementQueryBody,
  type CommandReply,
} from '@coffer/contracts';
import { BackendClient, type Caller } from '../backend/backend.client';
import { commandIdFor, requestHash } from '../commands/idempotency';
import { POSITION_HEADER, REPLAYED_HEADER, type CommandContext } from '../commands/ledger-commands';

/**
 * Sends commands and queries to the achievements service and reports the idempotency and
 * position headers of their answers, as LedgerCommands does for the ledger.
 */
@Injectable()
export class AchievementCommands {
  constructor(@Inject(BackendClient) private readonly backend: BackendClient) {}

  /**
   * `path` and `body` are what the client asked for (the path with its actual key, the body as
   * validated and normalised): their hash is how the service recognises a reused key. Without
   * an Idempotency-Key the command id is fresh and can never be asked again, so no hash is sent
   * and the service keeps no record of it.
   */
  async send<Result>(context: CommandContext, path: string, body: unknown, command: AchievementCommand): Promise<CommandReply<Result>> {
    const envelope: AchievementCommandBody = {
      command,
      request_hash: context.idempotencyKey === undefined ? null : requestHash(context.method, path, body),
    };
    const commandId = commandIdFor(context.caller.app_id, context.idempotencyKey);
    const reply = await this.backend.request<CommandReply<Result>>(PATTERNS.achievementsCommands, envelope, context.caller, commandId);
    if (reply.replayed) void context.reply.header(REPLAYED_HEADER, 'true');
    if (reply.position) void context.reply.header(POSITION_HEADER, reply.position);
    return reply;
  }

  query<Result>(query: AchievementQuery, caller: Caller): Promise<Result> {
    const body: AchievementQueryBody = { query };
    return this.backend.request<Result>(PATTERNS.achievementsCommands, body, caller);
  }
}
