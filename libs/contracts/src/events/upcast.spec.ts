import { EVENT_SCHEMA_VERSIONS, type DomainEventType } from './versions';
import { schemaVersionOf, storedTypeNames, upcast, upcastEvent } from './upcast';

const v1 = (type: string, data: unknown) => ({ type, data, metadata: { schema_version: 1, command_id: 'c1' } });

const transactionV1 = {
  transaction_id: 7,
  event_id: 3,
  app_id: 'app_1',
  kind: 'debit',
  user_id: 'alice',
  debit_account: 'user:alice',
  credit_account: 'house:app_1',
  amount: '5',
  currency: 'coins',
  description: null,
  created_at: '2025-03-01T12:00:00.000Z',
};
const { kind: _kind, ...transactionFields } = transactionV1;
const transactionV2 = { ...transactionFields, type: 'debit' };
/** v3: reversals; everything stored before them reverses nothing. */
const transactionV3 = { ...transactionV2, reverses_transaction_id: null };

describe('upcast: one step per stored type and version', () => {
  it('EventPinged v1 is Pinged v1 (the design card’s name), data unchanged', () => {
    const data = { event_id: 3, pinged_at: '2025-03-01T12:00:10.000Z', expires_at: '2025-03-01T12:01:10.000Z' };
    expect(upcast(v1('EventPinged', data))).toEqual({ type: 'Pinged', version: 1, data });
  });

  it('TransactionPending v1 → v2 → v3: kind is type, and it reverses nothing', () => {
    expect(upcast(v1('TransactionPending', transactionV1))).toEqual({ type: 'TransactionPending', version: 3, data: transactionV3 });
  });

  it('TransactionPosted v1 → v2 → v3: kind is type, it posted when it was created, and it reverses nothing', () => {
    const posted = { ...transactionV1, event_id: null };
    expect(upcast(v1('TransactionPosted', posted))).toEqual({
      type: 'TransactionPosted',
      version: 3,
      data: { ...transactionV3, event_id: null, posted_at: transactionV1.created_at },
    });
  });

  it('TransactionPosted v2 → v3 and TransactionVoided v1 → v2: reverses_transaction_id is null', () => {
    const posted = { ...transactionV2, posted_at: transactionV1.created_at };
    expect(upcast({ type: 'TransactionPosted', data: posted, metadata: { schema_version: 2 } })).toEqual({
      type: 'TransactionPosted',
      version: 3,
      data: { ...posted, reverses_transaction_id: null },
    });
    const voided = { ...transactionV2, voided_at: transactionV1.created_at, reason: 'expired' };
    expect(upcast({ type: 'TransactionVoided', data: voided, metadata: { schema_version: 1 } })).toEqual({
      type: 'TransactionVoided',
      version: 2,
      data: { ...voided, reverses_transaction_id: null },
    });
  });

  it('EventClosed v1 → v2: the posted ids are dropped (closing posts whatever is still pending)', () => {
    const closed = { event_id: 3, closed_at: '2025-03-01T12:00:20.000Z', posted_transaction_ids: [7, 8] };
    expect(upcast(v1('EventClosed', closed))).toEqual({
      type: 'EventClosed',
      version: 2,
      data: { event_id: 3, closed_at: '2025-03-01T12:00:20.000Z' },
    });
  });

  it('EventExpired v1 → v2: the voided ids are dropped (expiry voids whatever is still pending)', () => {
    const expired = { event_id: 3, expired_at: '2025-03-01T12:01:00.000Z', voided_transaction_ids: [7] };
    expect(upcast(v1('EventExpired', expired))).toEqual({
      type: 'EventExpired',
      version: 2,
      data: { event_id: 3, expired_at: '2025-03-01T12:01:00.000Z' },
    });
  });

  it('an event of the current version is returned as stored, the very same data', () => {
    const data = { ...transactionV3, posted_at: transactionV1.created_at };
    const stored = { type: 'TransactionPosted', data, metadata: { schema_version: 3 } };
    expect(upcast(stored).data).toBe(data);
    expect(upcastEvent(stored)).toBe(stored);
  });

  it('every type of the catalog at its current version passes unchanged, and no step leads past it', () => {
    for (const [type, version] of Object.entries(EVENT_SCHEMA_VERSIONS) as Array<[DomainEventType, number]>) {
      expect(upcast({ type, data: { x: 1 }, metadata: { schema_version: version } })).toEqual({ type, version, data: { x: 1 } });
    }
  });

  it('types outside the catalog (the store’s own, other streams) pass untouched', () => {
    expect(upcast({ type: '$metadata', data: 'anything' })).toEqual({ type: '$metadata', version: 1, data: 'anything' });
  });

  it('a version newer than this code knows is refused, not misread', () => {
    expect(() => upcast({ type: 'EventClosed', data: {}, metadata: { schema_version: 3 } })).toThrow('newer than this code reads');
  });

  it('data that is not an object where a step must read it is refused with its type and version', () => {
    expect(() => upcast(v1('TransactionPending', null))).toThrow('TransactionPending v1');
    expect(() => upcast(v1('EventClosed', [1]))).toThrow('EventClosed v1');
  });
});

describe('upcastEvent', () => {
  it('keeps every other field and metadata, and records the version reached', () => {
    const stored = { ...v1('EventPinged', { event_id: 1 }), id: 'e1', globalPosition: 9n };
    expect(upcastEvent(stored)).toEqual({
      id: 'e1',
      globalPosition: 9n,
      type: 'Pinged',
      data: { event_id: 1 },
      metadata: { schema_version: 1, command_id: 'c1' },
    });
    expect(upcastEvent(v1('TransactionPending', transactionV1)).metadata).toEqual({ schema_version: 3, command_id: 'c1' });
    expect(stored.type).toBe('EventPinged'); // the stored event itself is not changed
  });

  it('an event without a schema version (or a malformed one) is read as version 1', () => {
    expect(schemaVersionOf({ type: 'EventClosed', data: {} })).toBe(1);
    expect(schemaVersionOf({ type: 'EventClosed', data: {}, metadata: { schema_version: '2' } })).toBe(1);
    expect(upcast({ type: 'EventClosed', data: { event_id: 1, closed_at: 'x', posted_transaction_ids: [] } }).data).toEqual({
      event_id: 1,
      closed_at: 'x',
    });
  });
});

describe('storedTypeNames', () => {
  it('adds the names events were once stored under, for readers that filter by type', () => {
    expect(storedTypeNames(['EventOpened', 'Pinged'])).toEqual(['EventOpened', 'Pinged', 'EventPinged']);
  });
});
