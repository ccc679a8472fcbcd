import type { AchievementUnlocked } from '@coffer/contracts';
import { afterRoleAttempt, roleGrantOf, type RoleRetryPolicy } from './role-grants';

const policy: RoleRetryPolicy = { firstDelayMs: 1_000, maxDelayMs: 8_000, windowMs: 60_000, maxAttempts: 5 };
const failed = (status: number, retryAfterMs: number | null = null) => ({ ok: false, status, retryAfterMs, error: `Discord answered ${status}` });
const unlock: AchievementUnlocked = { unlock_id: 'u1', app_id: 'app_1', key: 'natural_21', user_id: '169015299834642432', unlocked_at: '2026-12-01T00:00:00Z', reward: null };

describe('which unlocks ask for a role', () => {
  it('an unlock of an achievement with a role, by a Discord member', () => {
    expect(roleGrantOf(unlock, () => '1187654321098765432')).toEqual({ unlock_id: 'u1', app_id: 'app_1', key: 'natural_21', user_id: '169015299834642432', role_id: '1187654321098765432' });
  });

  it('none for an achievement without a role, or a user id that is no Discord member', () => {
    expect(roleGrantOf(unlock, () => undefined)).toBeNull();
    expect(roleGrantOf({ ...unlock, user_id: 'steam:76561198' }, () => '1187654321098765432')).toBeNull();
  });
});

describe('after an attempt to grant a role', () => {
  it('is granted on a 2xx', () => {
    expect(afterRoleAttempt({ ok: true, status: 204, retryAfterMs: null, error: '' }, 1, 0, 0, policy)).toEqual({ status: 'granted' });
  });

  it('waits exactly what a 429 says, not the backoff', () => {
    expect(afterRoleAttempt(failed(429, 2_500), 1, 0, 10_000, policy)).toMatchObject({ status: 'pending', nextAttemptAtMs: 12_500 });
  });

  it.each([500, 502, 503, 0, 401])('backs off after a %s', (status) => {
    expect(afterRoleAttempt(failed(status), 2, 0, 10_000, policy, () => 1)).toMatchObject({ status: 'pending', nextAttemptAtMs: 12_000 });
  });

  it.each([403, 404, 400])('gives up at once after a %s: asking again cannot change it', (status) => {
    expect(afterRoleAttempt(failed(status), 1, 0, 0, policy)).toEqual({ status: 'failed', error: `Discord answered ${status}` });
  });

  it('gives up at the last attempt, and not before', () => {
    expect(afterRoleAttempt(failed(503), 4, 0, 0, policy)).toMatchObject({ status: 'pending' });
    expect(afterRoleAttempt(failed(503), 5, 0, 0, policy)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^given up after 5 attempts/) });
    expect(afterRoleAttempt(failed(429, 10), 5, 0, 0, policy)).toMatchObject({ status: 'failed' });
  });

  it('gives up when the next attempt would fall beyond the window, a 429 included', () => {
    expect(afterRoleAttempt(failed(429, 1_000), 1, 0, 59_000, policy)).toMatchObject({ status: 'pending', nextAttemptAtMs: 60_000 });
    expect(afterRoleAttempt(failed(429, 1_001), 1, 0, 59_000, policy)).toMatchObject({ status: 'failed' });
    expect(afterRoleAttempt(failed(503), 1, 0, 59_500, policy, () => 1)).toMatchObject({ status: 'failed' });
  });
});
