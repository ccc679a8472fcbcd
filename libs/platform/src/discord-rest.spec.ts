import { retryAfterOf } from './discord-rest';

describe("a 429's wait", () => {
  it("reads the body's retry_after (seconds, fractional) first", () => {
    expect(retryAfterOf(JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.25, global: false }), '1')).toBe(250);
  });

  it('falls back on the Retry-After header, and says null when neither tells', () => {
    expect(retryAfterOf('<html>', '3')).toBe(3000);
    expect(retryAfterOf('{}', null)).toBeNull();
    expect(retryAfterOf(JSON.stringify({ retry_after: -1 }), 'soon')).toBeNull();
  });
});
