import { PATTERNS, type AchievementCommand, type LedgerCommand } from '@coffer/contracts';
import type { NatsRequestClient } from '../backend/nats-request-client';
import type { ReadConsistency } from '../reads/consistency';
import { CommandSender, POSITION_HEADER, REPLAYED_HEADER, type CommandContext } from './command-sender';
import { commandIdFor, requestHash } from './idempotency';

/** A sender whose backend answers `position` and records what it was sent; the consistency records what was written. */
function harness(position: string, replayed = false) {
  const sent: Array<{ subject: string; body: unknown; commandId: string | undefined }> = [];
  const wrote: Array<[string | null, string]> = [];
  const backend = {
    request: async (subject: string, body: unknown, _caller: unknown, commandId?: string) => {
      sent.push({ subject, body, commandId });
      return { result: {}, position, replayed };
    },
  } as unknown as NatsRequestClient;
  const consistency = { wrote: (appId: string | null, at: string) => wrote.push([appId, at]) } as unknown as ReadConsistency;
  const headers: Record<string, string> = {};
  const context = (idempotencyKey?: string): CommandContext => ({
    method: 'POST',
    caller: { app_id: 'app_1', key_id: 'key_1' },
    idempotencyKey,
    reply: { header: (name: string, value: string) => (headers[name] = value) } as unknown as CommandContext['reply'],
  });
  return { sender: new CommandSender(backend, consistency), sent, wrote, headers, context };
}

const ledgerCommand: LedgerCommand = { type: 'PingEvent', data: { event_id: 7 } };
const achievementCommand: AchievementCommand = { type: 'Unlock', data: { key: 'first_win', user_id: 'u1' } };

describe('CommandSender', () => {
  it.each([
    ['the ledger', ledgerCommand, PATTERNS.ledgerCommands],
    ['the achievements service', achievementCommand, PATTERNS.achievementsCommands],
  ])('sends a command for %s to its subject and records the position for read-your-writes', async (_backend, command, subject) => {
    const { sender, sent, wrote, headers, context } = harness('42', true);
    await sender.send(context('retry-me'), '/some/path', { a: 1 }, command);
    expect(sent).toEqual([
      {
        subject,
        body: { command, request_hash: requestHash('POST', '/some/path', { a: 1 }) },
        commandId: commandIdFor('app_1', 'retry-me'),
      },
    ]);
    expect(wrote).toEqual([['app_1', '42']]);
    expect(headers).toEqual({ [POSITION_HEADER]: '42', [REPLAYED_HEADER]: 'true' });
  });

  it('sends no request hash without an Idempotency-Key: the command can never be asked again', async () => {
    const { sender, sent, headers, context } = harness('');
    await sender.send(context(), '/achievements/first_win/unlock', { user_id: 'u1' }, achievementCommand);
    expect(sent[0].body).toEqual({ command: achievementCommand, request_hash: null });
    expect(headers).toEqual({}); // nothing written, nothing replayed: no headers
  });
});
