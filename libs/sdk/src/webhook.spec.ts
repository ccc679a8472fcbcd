import { createHmac } from 'node:crypto';
import { parseSignatureHeader, signWebhook, verifyWebhook, webhookSignatureHeader, WebhookVerificationError, type WebhookFailure } from './webhook';

const secret = 'whsec_test_0123456789';
const body = JSON.stringify({ id: 'evt_1', type: 'transaction.posted', occurred_at: '2026-11-30T12:00:00Z', data: { amount: '15', user_id: '169015299834642432' } });
const now = Date.parse('2026-11-30T12:00:10Z');
const t = Math.floor(now / 1000);

async function failure(promise: Promise<unknown>): Promise<WebhookFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return (error as WebhookVerificationError).reason;
}

describe('verifyWebhook', () => {
  it('signs exactly HMAC-SHA256 of "<t>.<raw body>" in hex (the API\'s definition)', async () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(await signWebhook(body, secret, t)).toBe(expected);
    expect(await signWebhook(new TextEncoder().encode(body), secret, t)).toBe(expected);
  });

  it('accepts a genuine delivery, as a string or as the raw bytes', async () => {
    const header = await webhookSignatureHeader(body, secret, t);
    const delivery = await verifyWebhook(body, header, secret, { now: () => now });
    expect(delivery).toEqual(JSON.parse(body));
    expect(await verifyWebhook(Buffer.from(body), header, secret, { now: () => now })).toEqual(JSON.parse(body));
    // Spaces around the parts, an unknown scheme, and a second (rotated) v1 are all fine.
    const rotated = `t=${t}, v0=abc, v1=${'0'.repeat(64)}, v1=${await signWebhook(body, secret, t)}`;
    expect(await verifyWebhook(body, rotated, secret, { now: () => now })).toEqual(JSON.parse(body));
    // Hex in capitals is the same signature.
    expect(await verifyWebhook(body, header.toUpperCase().replace('T=', 't=').replace('V1=', 'v1='), secret, { now: () => now })).toEqual(JSON.parse(body));
  });

  it('refuses a tampered body, another secret, and a signature moved to another timestamp', async () => {
    const header = await webhookSignatureHeader(body, secret, t);
    expect(await failure(verifyWebhook(body.replace('"15"', '"1500"'), header, secret, { now: () => now }))).toBe('SIGNATURE_MISMATCH');
    expect(await failure(verifyWebhook(`${body} `, header, secret, { now: () => now }))).toBe('SIGNATURE_MISMATCH');
    expect(await failure(verifyWebhook(body, header, 'whsec_other', { now: () => now }))).toBe('SIGNATURE_MISMATCH');
    const moved = header.replace(`t=${t}`, `t=${t + 1}`);
    expect(await failure(verifyWebhook(body, moved, secret, { now: () => now }))).toBe('SIGNATURE_MISMATCH');
  });

  it('refuses a stale or future timestamp outside the tolerance (a replay), and takes one inside it', async () => {
    const old = await webhookSignatureHeader(body, secret, t - 301);
    expect(await failure(verifyWebhook(body, old, secret, { now: () => now }))).toBe('STALE_TIMESTAMP');
    const future = await webhookSignatureHeader(body, secret, t + 301);
    expect(await failure(verifyWebhook(body, future, secret, { now: () => now }))).toBe('STALE_TIMESTAMP');
    const edge = await webhookSignatureHeader(body, secret, t - 300);
    expect((await verifyWebhook(body, edge, secret, { now: () => now })).id).toBe('evt_1');
    expect(await failure(verifyWebhook(body, edge, secret, { now: () => now, toleranceSeconds: 60 }))).toBe('STALE_TIMESTAMP');
    // With the real clock, a fresh signature passes.
    const fresh = await webhookSignatureHeader(body, secret, Math.floor(Date.now() / 1000));
    expect((await verifyWebhook(body, fresh, secret)).type).toBe('transaction.posted');
  });

  it('says clearly what is wrong with a malformed header', async () => {
    const sig = await signWebhook(body, secret, t);
    const cases: Array<[string | undefined | null, RegExp]> = [
      [undefined, /missing/],
      [null, /missing/],
      ['', /missing/],
      [`v1=${sig}`, /no t=/],
      [`t=${t}`, /no v1/],
      [`t=${t},v1=xyz`, /64 hex digits/],
      [`t=${t},v1=${sig}0`, /64 hex digits/],
      [`t=now,v1=${sig}`, /unix seconds/],
      [`t=-5,v1=${sig}`, /unix seconds/],
      [`t=${t},t=${t},v1=${sig}`, /two timestamps/],
      [`t${t},v1=${sig}`, /name=value/],
      [`${'x'.repeat(5000)}`, /longer than/],
    ];
    for (const [header, message] of cases) {
      const error = await verifyWebhook(body, header, secret, { now: () => now }).catch((e: unknown) => e);
      expect({ header, reason: (error as WebhookVerificationError).reason }).toEqual({ header, reason: 'MALFORMED_HEADER' });
      expect((error as Error).message).toMatch(message);
    }
    expect(() => parseSignatureHeader(`t=${t},v1=${sig}`)).not.toThrow();
  });

  it('refuses a signed body that is not a delivery, and a missing secret or bad tolerance', async () => {
    const notJson = 'not json';
    expect(await failure(verifyWebhook(notJson, await webhookSignatureHeader(notJson, secret, t), secret, { now: () => now }))).toBe('MALFORMED_BODY');
    const array = '[1]';
    expect(await failure(verifyWebhook(array, await webhookSignatureHeader(array, secret, t), secret, { now: () => now }))).toBe('MALFORMED_BODY');
    await expect(verifyWebhook(body, 't=1,v1=00', '')).rejects.toThrow(TypeError);
    await expect(verifyWebhook(body, 't=1,v1=00', secret, { toleranceSeconds: -1 })).rejects.toThrow(RangeError);
  });
});
