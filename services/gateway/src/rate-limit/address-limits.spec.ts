import { AddressLimits, MAX_TRACKED_ADDRESSES } from './address-limits';

describe('AddressLimits', () => {
  it('admits a burst of twice the rate of requests without credentials from an address, then refuses it alone', () => {
    let now = 0;
    const limits = new AddressLimits({ unauthenticatedPerSecond: 5, authFailuresPerSecond: 1 }, () => now);
    const burst = Array.from({ length: 11 }, () => limits.admitUnauthenticated('10.0.0.1'));
    expect(burst.slice(0, 10).every((verdict) => verdict.allowed)).toBe(true);
    expect(burst[10]).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limits.admitUnauthenticated('10.0.0.2')).toEqual({ allowed: true });
    now = 200; // one token back at 5 per second
    expect(limits.admitUnauthenticated('10.0.0.1')).toEqual({ allowed: true });
    expect(limits.admitUnauthenticated('10.0.0.1').allowed).toBe(false);
  });

  it('lets an address fail to authenticate a burst of twice the rate, then refuses its failures until they flow back', () => {
    let now = 0;
    const limits = new AddressLimits({ unauthenticatedPerSecond: 100, authFailuresPerSecond: 2 }, () => now);
    for (let failure = 0; failure < 4; failure++) expect(limits.authenticationFailed('10.0.0.1')).toEqual({ allowed: true });
    expect(limits.authenticationFailed('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limits.authenticationFailed('10.0.0.2')).toEqual({ allowed: true });
    now = 499;
    expect(limits.authenticationFailed('10.0.0.1').allowed).toBe(false);
    now = 500; // one failure's worth back at 2 per second
    expect(limits.authenticationFailed('10.0.0.1')).toEqual({ allowed: true });
    expect(limits.authenticationFailed('10.0.0.1').allowed).toBe(false);
  });

  it('counts an IPv6 /64 as one address, and an IPv4-mapped address as its IPv4 one', () => {
    const limits = new AddressLimits({ unauthenticatedPerSecond: 1, authFailuresPerSecond: 1 }, () => 0);
    expect(limits.admitUnauthenticated('2001:db8:1:2::1').allowed).toBe(true);
    expect(limits.admitUnauthenticated('2001:db8:1:2::ffff').allowed).toBe(true);
    expect(limits.admitUnauthenticated('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limits.admitUnauthenticated('2001:db8:1:3::1').allowed).toBe(true); // the next /64
    expect(limits.authenticationFailed('192.0.2.1').allowed).toBe(true);
    expect(limits.authenticationFailed('::ffff:192.0.2.1').allowed).toBe(true);
    expect(limits.authenticationFailed('192.0.2.1').allowed).toBe(false);
  });

  it(`keeps at most ${MAX_TRACKED_ADDRESSES} addresses per kind, forgetting the least recently seen`, () => {
    const limits = new AddressLimits({ unauthenticatedPerSecond: 1, authFailuresPerSecond: 1 }, () => 0);
    for (let i = 0; i < MAX_TRACKED_ADDRESSES + 500; i++) {
      limits.admitUnauthenticated(`addr-${i}`);
      limits.authenticationFailed(`addr-${i}`);
    }
    expect(limits.size).toEqual({ unauthenticated: MAX_TRACKED_ADDRESSES, failures: MAX_TRACKED_ADDRESSES });
    // the newest are still limited, the oldest were forgotten (a fresh burst)
    limits.admitUnauthenticated(`addr-${MAX_TRACKED_ADDRESSES + 499}`);
    expect(limits.admitUnauthenticated(`addr-${MAX_TRACKED_ADDRESSES + 499}`).allowed).toBe(false);
    expect(limits.authenticationFailed('addr-0')).toEqual({ allowed: true });
  });
});
