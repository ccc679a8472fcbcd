import { isRequestMeta, MAX_REQUEST_ID_LENGTH, type RequestMeta } from './messages';

describe('isRequestMeta', () => {
  const meta: RequestMeta = { correlation_id: 'corr-1', command_id: 'app_1:abc', app_id: 'app_1', key_id: 'key_1', deadline_epoch_ms: 1 };

  it('takes ids of up to 256 characters of text, and an app and key id or null', () => {
    const longest = 'c'.repeat(MAX_REQUEST_ID_LENGTH);
    expect(isRequestMeta(meta)).toBe(true);
    expect(isRequestMeta({ ...meta, command_id: longest, correlation_id: longest })).toBe(true);
    expect(isRequestMeta({ ...meta, app_id: null, key_id: null })).toBe(true);
    expect(isRequestMeta({ ...meta, app_id: null, key_id: null, admin_token_id: 'adm_1' })).toBe(true);
  });

  it.each<[string, Partial<RequestMeta> | null]>([
    ['a command id one character over', { command_id: 'c'.repeat(MAX_REQUEST_ID_LENGTH + 1) }],
    ['an empty correlation id', { correlation_id: '' }],
    ['NUL in a correlation id', { correlation_id: 'corr\u0000' }],
    ['a lone surrogate in a command id', { command_id: 'c\ud800' }],
    ['an app id with a space', { app_id: 'app 1' }],
    ['a key id that is a number', { key_id: 5 as unknown as string }],
    ['an admin token id with a slash', { admin_token_id: 'adm/1' }],
    ['no meta at all', null],
  ])('refuses %s', (_case, change) => {
    expect(isRequestMeta(change === null ? null : { ...meta, ...change })).toBe(false);
  });
});
