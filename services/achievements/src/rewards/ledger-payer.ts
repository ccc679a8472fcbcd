/**
 * Pays an unlock's reward through the ledger: a posted credit from the app's house account,
 * sent as PayReward (the one command the ledger takes from the achievements service, signed as
 * it) with a command id fixed by the unlock and the attempt (see reward-attempts.ts) and a
 * request hash fixed by the unlock, so however often one attempt is sent (retries after a
 * timeout, a restart, two reactors) the ledger's dedupe posts it once and answers every later
 * send with the same outcome. It goes to the ledger of the app's realm (its id names it): the
 * house account that pays and the user's wallet are that realm's, and so is the command's dedupe.
 */
import { createHash, randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import {
  PATTERNS,
  realmOfApp,
  type AchievementUnlocked,
  type CommandReply,
  type LedgerCommandBody,
  type PayReward,
  type Refusal,
  type Reply,
  type Request,
  type RequestMeta,
  type TransactionReply,
} from '@coffer/contracts';
import { rewardCommandId } from './reward-attempts';
import { WriterDirectory, type ScopedNatsClient, type ServiceKeyring, type SubjectScope } from '@coffer/platform';

export type Payment =
  | { kind: 'paid'; transaction_id: number; created_at: string; replayed: boolean }
  /** Outcome unknown (no answer in time, ledger changing writers): send the same command again. */
  | { kind: 'retry'; reason: string }
  /** The ledger refused for good: sending it again would be refused again. */
  | { kind: 'refused'; refusal: Refusal };

export interface RewardPayer {
  /** `attempt` names the command (reward-attempts.ts): 1 unless earlier attempts were refused. */
  pay(unlock: AchievementUnlocked, correlationId: string, attempt: number): Promise<Payment>;
}

export const rewardRequestHash = (unlockId: string): string => createHash('sha256').update(unlockId, 'utf8').digest('hex');

export function rewardCommand(unlock: AchievementUnlocked): PayReward {
  if (!unlock.reward) throw new Error(`unlock ${unlock.unlock_id} has no reward`);
  return {
    type: 'PayReward',
    data: {
      user_id: unlock.user_id,
      amount: unlock.reward.amount,
      currency: unlock.reward.currency,
      description: `achievement ${unlock.key}`,
    },
  };
}

const SUPERSEDED = Symbol('superseded');

/** Most realms whose writer announcements a payer follows (a subscription each): more is a deployment this was not made for. */
export const MAX_PAYER_REALMS = 256;

export class LedgerRewardPayer implements RewardPayer {
  /** Each realm's writer directory, made at its first payment. */
  private readonly directories = new Map<string, WriterDirectory>();

  /**
   * With `routing`, payments go to the announced ledger writer (see WriterDirectory; `keys` check
   * that the ledger signed the announcement), else to the shared subject.
   */
  constructor(
    private readonly client: ScopedNatsClient,
    private readonly timeoutMs: number,
    private readonly routing?: { scope: SubjectScope; keys: ServiceKeyring },
  ) {}

  async pay(unlock: AchievementUnlocked, correlationId: string = randomUUID(), attempt = 1): Promise<Payment> {
    const meta: RequestMeta = {
      correlation_id: correlationId,
      command_id: rewardCommandId(unlock.app_id, unlock.unlock_id, attempt),
      app_id: unlock.app_id,
      key_id: null, // a reward needs no key: the app set it with its key when it defined the achievement
      deadline_epoch_ms: Date.now() + this.timeoutMs,
    };
    const body: LedgerCommandBody = { command: rewardCommand(unlock), request_hash: rewardRequestHash(unlock.unlock_id) };
    let reply: Reply<CommandReply<TransactionReply>> | typeof SUPERSEDED;
    try {
      const request: Request<LedgerCommandBody> = { meta, body };
      const realm = realmOfApp(unlock.app_id);
      const directory = await this.writers(realm);
      const route = directory?.route(PATTERNS.ledgerCommands) ?? { pattern: PATTERNS.ledgerCommands, term: undefined };
      // The realm is put into the pattern here: the client's own scope names one realm only.
      const pattern = route.pattern.replace('{realm}', realm);
      const sent = firstValueFrom(this.client.send<Reply<CommandReply<TransactionReply>>>(pattern, request).pipe(timeout(this.timeoutMs)));
      // A new writer took over while this waited (the one addressed may be frozen): the reactor
      // sends it again at once, to the new writer, with the same command id.
      reply = await (directory && route.term !== undefined
        ? new Promise<typeof reply>((resolve, reject) => {
            const cancel = directory.onNewerTerm(route.term!, () => resolve(SUPERSEDED));
            sent.then(resolve, reject).finally(cancel);
          })
        : sent);
    } catch (error) {
      return { kind: 'retry', reason: (error as Error).message || (error as Error).name || 'no answer from the ledger' };
    }
    if (reply === SUPERSEDED) return { kind: 'retry', reason: 'a new ledger writer took over' };
    if (!reply.ok) return reply.code === 'UNAVAILABLE' ? { kind: 'retry', reason: reply.message } : { kind: 'refused', refusal: reply };
    const transaction = reply.result.result;
    return { kind: 'paid', transaction_id: transaction.transaction_id, created_at: transaction.created_at, replayed: reply.result.replayed };
  }

  /** Listens for `realm`'s writer announcements once the client is connected (it connects on first use). */
  private async writers(realm: string): Promise<WriterDirectory | undefined> {
    if (!this.routing) return undefined;
    let directory = this.directories.get(realm);
    if (directory === undefined) {
      const connection = await this.client.connect();
      directory = this.directories.get(realm); // another payment may have made it meanwhile
      if (directory === undefined) {
        if (this.directories.size >= MAX_PAYER_REALMS) {
          const [oldest, closing] = this.directories.entries().next().value as [string, WriterDirectory];
          closing.close();
          this.directories.delete(oldest);
        }
        directory = new WriterDirectory(connection, { ...this.routing.scope, realm }, this.routing.keys);
        this.directories.set(realm, directory);
      }
    }
    return directory;
  }

  /** Stops following the writers' announcements. */
  close(): void {
    for (const directory of this.directories.values()) directory.close();
    this.directories.clear();
  }
}
