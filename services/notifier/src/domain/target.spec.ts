import { addressKind, addressRefusal, urlRefusal } from './target';

const closed = { allowPrivate: false };
const open = { allowPrivate: true };

describe('webhook targets (SSRF)', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['ff02::1', 'reserved'],
    ['2002:7f00:1::', 'reserved'],
    ['64:ff9b::7f00:1', 'reserved'],
    ['::127.0.0.1', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  it('172.15.x and 172.32.x are public (just outside 172.16/12)', () => {
    expect(addressKind('172.15.255.255')).toBe('public');
    expect(addressKind('172.32.0.0')).toBe('public');
  });

  it('refuses every non-public address without the flag, and http:// always to public addresses', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '169.254.169.254', '0.0.0.0', '::ffff:127.0.0.1', 'fe80::1']) {
      expect(addressRefusal('https:', address, closed)).toMatch(/may not reach/);
    }
    expect(addressRefusal('https:', '8.8.8.8', closed)).toBeNull();
    expect(addressRefusal('http:', '8.8.8.8', closed)).toMatch(/https/);
    expect(addressRefusal('http:', '8.8.8.8', open)).toMatch(/https/);
  });

  it('with COFFER_WEBHOOK_ALLOW_PRIVATE=1 allows loopback and private over http too, but never link-local or unspecified', () => {
    expect(addressRefusal('http:', '127.0.0.1', open)).toBeNull();
    expect(addressRefusal('http:', '192.168.0.10', open)).toBeNull();
    expect(addressRefusal('https:', '::1', open)).toBeNull();
    expect(addressRefusal('http:', '169.254.169.254', open)).toMatch(/link-local/);
    expect(addressRefusal('http:', '0.0.0.0', open)).toMatch(/unspecified/);
  });

  it('checks the scheme and a literal address before any lookup', () => {
    expect(urlRefusal(new URL('http://example.com/x'), closed)).toMatch(/https/);
    expect(urlRefusal(new URL('https://example.com/x'), closed)).toBeNull(); // its addresses are checked after DNS
    expect(urlRefusal(new URL('https://127.0.0.1/x'), closed)).toMatch(/loopback/);
    expect(urlRefusal(new URL('https://[::ffff:127.0.0.1]/x'), closed)).toMatch(/loopback/);
    expect(urlRefusal(new URL('https://2130706433/x'), closed)).toMatch(/loopback/); // URL() reads 127.0.0.1
    expect(urlRefusal(new URL('https://0x7f.1/x'), closed)).toMatch(/loopback/);
    expect(urlRefusal(new URL('https://169.254.169.254/latest/meta-data'), closed)).toMatch(/link-local/);
  });
});
