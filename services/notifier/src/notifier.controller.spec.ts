/**
 * The notifier's door answers a database that is away or full as UNAVAILABLE (the gateway's 503,
 * "retry"), never as a thrown error (a 500). Seen under load: PostgreSQL's "sorry, too many
 * clients already" (53300) on GET /webhooks/:id/deliveries reached the caller as 500 INTERNAL.
 * The store is stood in for here because the point is what the door does with its failure.
 */
import { SignedNatsContext } from '@coffer/platform';
import type { Webhooks } from './store/webhooks';
import { NotifierController } from './notifier.controller';

const meta = { correlation_id: 'c-1', command_id: 'app_1:c-1', app_id: 'app_1', key_id: 'key_1', deadline_epoch_ms: Date.now() + 60_000 };
const fromGateway = new SignedNatsContext(['coffer.notifier.default.requests', undefined] as never, 'gateway');

function failingWith(error: Error): NotifierController {
  const fail = () => Promise.reject(error);
  const store = { create: fail, list: fail, delete: fail, deliveries: fail } as unknown as Webhooks;
  return new NotifierController(store);
}

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('notifier door', () => {
  it.each([
    ['too many clients (53300)', pgError('53300', 'sorry, too many clients already')],
    ['the server shutting down (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
  ])('answers %s as UNAVAILABLE', async (_name, error) => {
    const answer = await failingWith(error).handle({ meta, body: { type: 'ListDeliveries', webhook_id: 1, limit: 10, cursor: null } }, fromGateway);
    expect(answer).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
  });

  it('lets any other failure stay a fault', async () => {
    await expect(failingWith(new TypeError('a bug')).handle({ meta, body: { type: 'ListWebhooks' } }, fromGateway)).rejects.toThrow('a bug');
  });
});
