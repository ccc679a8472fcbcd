import { MAX_DEADLINE_AHEAD_MS } from '@coffer/contracts';
import { encodeBatch, MAX_BATCH_REQUESTS } from './request-batch';
import { admitRequest } from './request-door';
import { SIGNATURE_HEADER, ServiceKeyring } from './request-signature';
import { generateServiceKey } from './service-keys';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const SUBJECT = 'coffer.ledger.default.commands';
const current = generateServiceKey();
const retiring = generateServiceKey();
const keys = new ServiceKeyring([current, retiring]);

const packet = (deadline: unknown = NOW + 5000) =>
  Buffer.from(
    JSON.stringify({
      pattern: 'ledger.{realm}.commands',
      id: 'p1',
      data: {
        meta: { correlation_id: 'c', command_id: 'x', app_id: null, key_id: null, deadline_epoch_ms: deadline },
        body: { command: { type: 'Grant', data: { user_id: 'mallory', amount: '3000000', currency: 'coins', description: null } }, request_hash: null },
      },
    }),
  );

const reasonOf = (admission: ReturnType<typeof admitRequest>) => (admission.ok ? 'admitted' : admission.reason);

describe('request signatures', () => {
  it('admits a request signed by a holder of the key, and says who signed it', () => {
    const payload = packet();
    const admission = admitRequest(keys, SUBJECT, payload, keys.sign('gateway', SUBJECT, payload), NOW);
    expect(admission).toMatchObject({ ok: true, sender: 'gateway', packet: { id: 'p1', data: { meta: { deadline_epoch_ms: NOW + 5000 } } } });
  });

  it('puts one header on the wire: scheme, sender, key id and a base64url MAC', () => {
    const headers = keys.signedHeaders('achievements', SUBJECT, packet());
    expect(headers.get(SIGNATURE_HEADER)).toMatch(new RegExp(`^v1 sender=achievements,key=${current.id},mac=[A-Za-z0-9_-]{43}$`));
  });

  it('refuses a request without a signature, or with one that is not of the scheme', () => {
    const payload = packet();
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, undefined, NOW))).toBe('unsigned');
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, '', NOW))).toBe('unsigned');
    const valid = keys.sign('gateway', SUBJECT, payload);
    for (const mangled of [valid.replace('v1 ', 'v2 '), valid.replace('sender=', 'from='), `${valid},extra=1`, valid.slice(0, -2)]) {
      expect(reasonOf(admitRequest(keys, SUBJECT, payload, mangled, NOW))).toBe('malformed_signature');
    }
  });

  it('refuses a signature made with another key, under an unknown key id, or for an unknown sender', () => {
    const payload = packet();
    const stranger = new ServiceKeyring([{ id: current.id, secret: generateServiceKey().secret }]);
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, stranger.sign('gateway', SUBJECT, payload), NOW))).toBe('bad_signature');
    const unknownId = new ServiceKeyring([generateServiceKey()]);
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, unknownId.sign('gateway', SUBJECT, payload), NOW))).toBe('unknown_key');
    const valid = keys.sign('gateway', SUBJECT, payload);
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, valid.replace('sender=gateway', 'sender=analytics'), NOW))).toBe('unknown_sender');
  });

  it('binds the signature to the subject, the sender and every byte of the payload', () => {
    const payload = packet();
    const signature = keys.sign('achievements', SUBJECT, payload);
    expect(reasonOf(admitRequest(keys, 'coffer.achievements.default.commands', payload, signature, NOW))).toBe('bad_signature');
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, signature.replace('sender=achievements', 'sender=gateway'), NOW))).toBe('bad_signature');
    const tampered = Buffer.from(payload.toString('utf8').replace('3000000', '3000001'));
    expect(reasonOf(admitRequest(keys, SUBJECT, tampered, signature, NOW))).toBe('bad_signature');
  });

  it('accepts both keys of a rotation and signs with the first', () => {
    const payload = packet();
    const byRetiring = new ServiceKeyring([retiring]);
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, byRetiring.sign('gateway', SUBJECT, payload), NOW))).toBe('admitted');
    const byNext = new ServiceKeyring([current]);
    expect(keys.sign('gateway', SUBJECT, payload)).toBe(byNext.sign('gateway', SUBJECT, payload));
  });

  it('refuses a signed request whose deadline has passed: a captured request cannot be replayed later', () => {
    const payload = packet(NOW + 1);
    const signature = keys.sign('gateway', SUBJECT, payload);
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, signature, NOW))).toBe('admitted');
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, signature, NOW + 1))).toBe('past_deadline');
    expect(reasonOf(admitRequest(keys, SUBJECT, payload, signature, NOW + 60_000))).toBe('past_deadline');
  });

  it(`refuses a deadline more than ${MAX_DEADLINE_AHEAD_MS} ms ahead`, () => {
    const atLimit = packet(NOW + MAX_DEADLINE_AHEAD_MS);
    expect(reasonOf(admitRequest(keys, SUBJECT, atLimit, keys.sign('gateway', SUBJECT, atLimit), NOW))).toBe('admitted');
    const beyond = packet(NOW + MAX_DEADLINE_AHEAD_MS + 1);
    expect(reasonOf(admitRequest(keys, SUBJECT, beyond, keys.sign('gateway', SUBJECT, beyond), NOW))).toBe('deadline_too_far');
  });

  it('refuses a signed payload that is not a request with a numeric deadline', () => {
    for (const payload of [Buffer.from('{not json'), Buffer.from('null'), Buffer.from('{"data":{}}'), packet('soon'), packet(null)]) {
      expect(reasonOf(admitRequest(keys, SUBJECT, payload, keys.sign('gateway', SUBJECT, payload), NOW))).toBe('malformed_request');
    }
  });

  describe('a batch (request-batch.ts)', () => {
    const batchOf = (...packets: Buffer[]) => encodeBatch(packets.map((bytes, i) => ({ token: `t${i}`, packet: bytes })));
    const admit = (payload: Buffer) => admitRequest(keys, SUBJECT, payload, keys.sign('gateway', SUBJECT, payload), NOW);

    it('is admitted on one signature, each request on its own deadline', () => {
      const admission = admit(batchOf(packet(), packet(NOW), packet(NOW + MAX_DEADLINE_AHEAD_MS + 1), packet('soon')));
      expect(admission.ok && admission.batch?.map((entry) => (entry.ok ? `${entry.token}:admitted` : `${entry.token}:${entry.reason}`))).toEqual([
        't0:admitted',
        't1:past_deadline',
        't2:deadline_too_far',
        't3:malformed_request',
      ]);
      expect(admission).toMatchObject({ ok: true, sender: 'gateway' });
      expect(admission.ok && admission.batch?.[0]).toMatchObject({ ok: true, packet: { id: 'p1' } });
    });

    it('is refused whole when its bytes were changed after signing', () => {
      const payload = batchOf(packet(), packet());
      const signature = keys.sign('gateway', SUBJECT, payload);
      const tampered = Buffer.from(payload.toString('utf8').replace('"t1"', '"t9"'));
      expect(reasonOf(admitRequest(keys, SUBJECT, tampered, signature, NOW))).toBe('bad_signature');
    });

    it(`is refused whole when empty, with more than ${MAX_BATCH_REQUESTS} requests, or with an entry that is not a token and a packet`, () => {
      const full = Array.from({ length: MAX_BATCH_REQUESTS }, () => packet());
      expect(reasonOf(admit(batchOf(...full)))).toBe('admitted');
      for (const payload of [
        batchOf(),
        batchOf(...full, packet()),
        Buffer.from('{"batch":[{"t":"","p":{}}]}'),
        Buffer.from('{"batch":[{"t":"a","p":null}]}'),
        Buffer.from(`{"batch":[{"t":"${'x'.repeat(65)}","p":{}}]}`),
        Buffer.from('{"batch":{"t":"a"}}'),
      ]) {
        expect(reasonOf(admit(payload))).toBe('malformed_request');
      }
    });
  });
});
